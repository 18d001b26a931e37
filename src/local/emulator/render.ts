/**
 * MGN's wire shapes from the emulator's state (model.ts): a source server, a job, an application, a wave, as
 * the real service answers them. The server document is cached per (clock version, mutations, render time):
 * DescribeSourceServers of 1,000 servers is the hot path of every poller.
 */
import { iso, isoDuration } from './clock.ts';
import { type MgnEngine, MS, SNAPSHOT_PERIOD_MS, SNAPSHOT_SHIPPING_MS } from './engine.ts';
import { type Application, INITIATION_STEPS, type Job, type Server, type Wave } from './model.ts';

const { S, MIN } = MS;

export function lagDuration(e: MgnEngine, s: Server, now = e.now()): string | undefined {
  const r = s.repl;
  if (!r.launchable) return undefined;
  if (r.state === 'PENDING_SNAPSHOT_SHIPPING') return isoDuration(Math.max(0, now - e.lastShippedAt(s, now)));
  if (r.state === 'CONTINUOUS' || r.lagSince === undefined) return 'P0D';
  return isoDuration(Math.max(0, now - r.lagSince));
}

/**
 * The server as JSON text: the same document as renderServer, with the static sourceProperties spliced in
 * from a cached string (DescribeSourceServers of 1,000 servers is the hot path of every poller).
 */
export function serverJson(e: MgnEngine, s: Server): Buffer {
  const key = `${e.clock.version}|${e.mutations}|${e.renderTime()}`;
  if (s.jsonCache?.key === key) return s.jsonCache.json;
  const json = JSON.stringify(renderServer(e, s, false));
  s.propertiesJson ??= JSON.stringify(s.properties);
  const full = Buffer.from(`${json.slice(0, -1)},"sourceProperties":${s.propertiesJson}}`, 'utf8');
  s.jsonCache = { key, json: full };
  return full;
}

export function renderServer(e: MgnEngine, s: Server, withProperties = true): Record<string, unknown> {
  const now = e.renderTime();
  const r = s.repl;
  const frac = e.syncFraction(s, now);
  const disks = s.properties.disks.map((d) => {
    const replicated = Math.floor(d.bytes * frac);
    return {
      deviceName: d.deviceName,
      totalStorageBytes: r.disconnected ? 0 : d.bytes,
      replicatedStorageBytes: replicated,
      rescannedStorageBytes:
        r.state === 'RESCAN' ? Math.floor(d.bytes * Math.min(1, Math.max(0, now - r.phaseStart) / (10 * MIN))) : replicated,
      backloggedStorageBytes: r.state === 'CONTINUOUS' || r.state === 'STALLED' ? Math.floor(r.backlogBytes / s.properties.disks.length) : 0,
    };
  });
  const steps = INITIATION_STEPS.map(([name], i) => {
    let status = 'NOT_STARTED';
    if (!r.disconnected && r.initiationStart !== undefined && r.stepEnds.length) {
      const end = r.stepEnds[i] as number;
      const start = i === 0 ? r.initiationStart : (r.stepEnds[i - 1] as number);
      if (r.failedStep !== undefined && i === r.failedStep) status = 'FAILED';
      else if (r.failedStep !== undefined && i > r.failedStep) status = 'NOT_STARTED';
      else if (now >= end || r.state !== 'INITIATING') status = 'SUCCEEDED';
      else if (now >= start) status = 'IN_PROGRESS';
    }
    return { name, status };
  });
  const lag = lagDuration(e, s, now);
  // agentless: the last part of each snapshot period is spent shipping the snapshot
  const shipping = r.state === 'PENDING_SNAPSHOT_SHIPPING' && now - e.lastShippedAt(s, now) >= SNAPSHOT_PERIOD_MS - SNAPSHOT_SHIPPING_MS;
  const dataReplicationInfo: Record<string, unknown> = {
    dataReplicationState: shipping ? 'SHIPPING_SNAPSHOT' : r.state,
    replicatedDisks: disks,
    dataReplicationInitiation: {
      ...(r.initiationStart !== undefined ? { startDateTime: iso(r.initiationStart) } : {}),
      ...(r.nextAttemptAt !== undefined ? { nextAttemptDateTime: iso(r.nextAttemptAt) } : {}),
      steps,
    },
  };
  if (lag !== undefined) dataReplicationInfo.lagDuration = lag;
  if (r.state === 'INITIAL_SYNC') {
    const total = e.totalBytes(s);
    dataReplicationInfo.etaDateTime = iso(now + ((1 - frac) * total * S) / e.bandwidth);
  }
  if (r.lastSnapshotAt !== undefined && !r.disconnected) {
    // continuous replication takes a snapshot every 10 minutes
    const last = r.state === 'PENDING_SNAPSHOT_SHIPPING'
      ? e.lastShippedAt(s, now)
      : r.state === 'CONTINUOUS' && r.continuousSince !== undefined
        ? Math.max(r.lastSnapshotAt, r.continuousSince + Math.floor((now - r.continuousSince) / (10 * MIN)) * 10 * MIN)
        : r.lastSnapshotAt;
    dataReplicationInfo.lastSnapshotDateTime = iso(last);
  }
  if (r.state === 'STALLED' && r.error) dataReplicationInfo.dataReplicationError = { ...r.error };
  const rec = (x: typeof s.lifeCycle.lastTest) => ({
    initiated: x.initiated ? { ...x.initiated } : {},
    reverted: x.reverted ? { ...x.reverted } : {},
    finalized: x.finalized ? { ...x.finalized } : {},
  });
  const lifeCycle: Record<string, unknown> = {
    state: s.lifeCycle.state,
    addedToServiceDateTime: iso(s.lifeCycle.addedToServiceAt),
    lastSeenByServiceDateTime: iso(
      s.quiescedAt !== undefined || r.disconnected ? Math.min(now, s.quiescedAt ?? now) : now,
    ),
    lastTest: rec(s.lifeCycle.lastTest),
    lastCutover: rec(s.lifeCycle.lastCutover),
  };
  if (r.firstByteAt !== undefined && r.firstByteAt <= now) {
    lifeCycle.firstByteDateTime = iso(r.firstByteAt);
    lifeCycle.elapsedReplicationDuration = isoDuration(now - r.firstByteAt);
  }
  return {
    sourceServerID: s.id,
    arn: s.arn,
    isArchived: s.isArchived,
    tags: { ...s.tags },
    ...(s.launchedInstance ? { launchedInstance: { ...s.launchedInstance } } : {}),
    dataReplicationInfo,
    lifeCycle,
    ...(withProperties ? { sourceProperties: structuredClone(s.properties) } : {}),
    replicationType: s.replicationType,
    ...(s.applicationID ? { applicationID: s.applicationID } : {}),
    ...(s.userProvidedID ? { userProvidedID: s.userProvidedID } : {}),
  };
}

export function renderJob(e: MgnEngine, j: Job): Record<string, unknown> {
  return {
    jobID: j.jobID,
    arn: j.arn,
    type: j.type,
    initiatedBy: j.initiatedBy,
    creationDateTime: iso(j.createdAt),
    ...(j.endedAt !== undefined ? { endDateTime: iso(j.endedAt) } : {}),
    status: j.status,
    participatingServers: j.participants.map((p) => ({
      sourceServerID: p.sourceServerID,
      launchStatus: p.launchStatus,
      ...(p.launchedEc2InstanceID ? { launchedEc2InstanceID: p.launchedEc2InstanceID } : {}),
      ...(p.postLaunch
        ? {
            postLaunchActionsStatus: {
              ...(p.postLaunch.ssmAgentDiscoveryAt !== undefined && p.postLaunch.ssmAgentDiscoveryAt <= e.now()
                ? { ssmAgentDiscoveryDatetime: iso(p.postLaunch.ssmAgentDiscoveryAt) }
                : {}),
              postLaunchActionsLaunchStatusList: p.postLaunch.list.map((x) => ({
                ssmDocument: x.ssmDocument,
                ssmDocumentType: x.ssmDocumentType,
                ...(x.executionID ? { executionID: x.executionID } : {}),
                executionStatus: x.executionStatus,
                ...(x.failureReason ? { failureReason: x.failureReason } : {}),
              })),
            },
          }
        : {}),
    })),
    tags: { ...j.tags },
  };
}

function aggregate(e: MgnEngine, servers: Server[]): { health: string; progress: string } {
  let health = 'HEALTHY';
  for (const s of servers) {
    if (s.repl.state === 'STALLED') health = 'ERROR';
    else if (health === 'HEALTHY' && s.repl.launchable && s.replicationType === 'AGENT_BASED' && lagDuration(e, s) !== 'P0D') health = 'LAGGING';
    else if (health === 'HEALTHY' && s.repl.launchable && s.replicationType === 'SNAPSHOT_SHIPPING' && s.repl.state !== 'PENDING_SNAPSHOT_SHIPPING') health = 'LAGGING';
  }
  const started = servers.filter((s) => s.lifeCycle.state !== 'NOT_READY' && s.lifeCycle.state !== 'READY_FOR_TEST');
  const done = servers.filter((s) => s.lifeCycle.state === 'CUTOVER');
  const progress =
    servers.length > 0 && done.length === servers.length ? 'COMPLETED' : started.length > 0 ? 'IN_PROGRESS' : 'NOT_STARTED';
  return { health, progress };
}

export function renderApplication(e: MgnEngine, a: Application): Record<string, unknown> {
  const servers = [...e.servers.values()].filter((s) => s.applicationID === a.applicationID);
  const { health, progress } = aggregate(e, servers);
  return {
    applicationID: a.applicationID,
    arn: a.arn,
    name: a.name,
    ...(a.description !== undefined ? { description: a.description } : {}),
    isArchived: a.isArchived,
    applicationAggregatedStatus: {
      lastUpdateDateTime: iso(e.now()),
      healthStatus: health,
      progressStatus: progress,
      totalSourceServers: servers.length,
    },
    creationDateTime: iso(a.createdAt),
    lastModifiedDateTime: iso(a.modifiedAt),
    tags: { ...a.tags },
    ...(a.waveID ? { waveID: a.waveID } : {}),
  };
}

export function renderWave(e: MgnEngine, w: Wave): Record<string, unknown> {
  const apps = [...e.applications.values()].filter((a) => a.waveID === w.waveID);
  const appIds = new Set(apps.map((a) => a.applicationID));
  const servers = [...e.servers.values()].filter((s) => s.applicationID && appIds.has(s.applicationID));
  const { health, progress } = aggregate(e, servers);
  const firstBytes = servers.map((s) => s.repl.firstByteAt).filter((t): t is number => t !== undefined && t <= e.now());
  return {
    waveID: w.waveID,
    arn: w.arn,
    name: w.name,
    ...(w.description !== undefined ? { description: w.description } : {}),
    isArchived: w.isArchived,
    waveAggregatedStatus: {
      lastUpdateDateTime: iso(e.now()),
      ...(firstBytes.length ? { replicationStartedDateTime: iso(Math.min(...firstBytes)) } : {}),
      healthStatus: health,
      progressStatus: progress,
      totalApplications: apps.length,
    },
    creationDateTime: iso(w.createdAt),
    lastModifiedDateTime: iso(w.modifiedAt),
    tags: { ...w.tags },
  };
}
