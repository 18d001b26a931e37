import {
  ConflictException,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  DisconnectFromServiceCommand,
  FinalizeCutoverCommand,
  type MgnClient,
  PauseReplicationCommand,
  ResumeReplicationCommand,
  RetryDataReplicationCommand,
  type SourceServer,
  StartCutoverCommand,
  StartReplicationCommand,
  StopReplicationCommand,
  ValidationException,
} from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { HOURS, control, useEmulator } from '../../helpers/emulator.ts';

type Emu = Awaited<ReturnType<ReturnType<typeof useEmulator>>>;

const MiB = 1024 * 1024;
const MINUTES = 60;

/** reference/mgn-api.md section 8, in this order. */
const INITIATION_STEPS = [
  'WAIT',
  'CREATE_SECURITY_GROUP',
  'LAUNCH_REPLICATION_SERVER',
  'BOOT_REPLICATION_SERVER',
  'AUTHENTICATE_WITH_SERVICE',
  'DOWNLOAD_REPLICATION_SOFTWARE',
  'CREATE_STAGING_DISKS',
  'ATTACH_STAGING_DISKS',
  'PAIR_REPLICATION_SERVER_WITH_AGENT',
  'CONNECT_AGENT_TO_REPLICATION_SERVER',
  'START_DATA_TRANSFER',
];

async function serverOf(mgn: MgnClient, id: string): Promise<SourceServer> {
  const s = (await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [id] } }))).items?.[0];
  if (!s) throw new Error(`source server ${id} not found`);
  return s;
}

const replState = (s: SourceServer) => s.dataReplicationInfo?.dataReplicationState;
const disks = (s: SourceServer) => s.dataReplicationInfo?.replicatedDisks ?? [];
const sum = (s: SourceServer, key: 'replicatedStorageBytes' | 'totalStorageBytes' | 'backloggedStorageBytes' | 'rescannedStorageBytes') =>
  disks(s).reduce((a, d) => a + (d[key] ?? 0), 0);
const stepStatuses = (s: SourceServer) => (s.dataReplicationInfo?.dataReplicationInitiation?.steps ?? []).map((x) => x.status);

/** ISO-8601 duration (as MGN writes lagDuration) in ms: P0D, PT16H20M38.697S, P1DT2H. */
function durationMs(d: string | undefined): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(d ?? '');
  if (!m) throw new Error(`not an ISO-8601 duration: ${d}`);
  const [, days, h, min, sec] = m;
  return ((Number(days ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(sec ?? 0) * 1000;
}

/** Advance `stepS` at a time until the server satisfies `done` (at most `maxS` simulated seconds). */
async function until(env: Emu, id: string, done: (s: SourceServer) => boolean, stepS = 10, maxS = 40 * HOURS): Promise<SourceServer> {
  for (let waited = 0; ; waited += stepS) {
    const s = await serverOf(env.mgn, id);
    if (done(s)) return s;
    if (waited >= maxS) throw new Error(`server ${id} still ${replState(s)} after ${maxS} simulated seconds`);
    await env.advance(stepS);
  }
}

const clockMs = async (env: Emu) => (await control<{ nowMs: number }>(env.emu.endpoint, '/clock')).body.nowMs;

const stalledEvents = (env: Emu, id: string) =>
  env.events
    .filter((e) => e['detail-type'] === 'MGN Source Server Data Replication Stalled Change' && e.resources[0]?.endsWith(`/${id}`))
    .map((e) => e.detail.state);

describe('emulator data replication', () => {
  const start = useEmulator();

  async function oneServer(opts: Parameters<typeof start>[0] = {}): Promise<Emu & { id: string }> {
    const env = await start({ servers: 1, ...opts });
    const [id] = await env.ids();
    return { ...env, id: id as string };
  }

  it('runs the initiation steps in the documented order, each NOT_STARTED → IN_PROGRESS → SUCCEEDED', async () => {
    const env = await oneServer();
    const startedAt = await clockMs(env);
    const snapshots: SourceServer[] = [];
    const synced = await until(
      env,
      env.id,
      (s) => {
        snapshots.push(s);
        return replState(s) !== 'INITIATING';
      },
      5,
      HOURS,
    );
    expect(replState(synced)).toBe('INITIAL_SYNC');
    const first = snapshots[0] as SourceServer;
    expect(first.dataReplicationInfo?.dataReplicationInitiation?.steps?.map((x) => x.name)).toEqual(INITIATION_STEPS);
    expect(first.dataReplicationInfo?.dataReplicationInitiation?.startDateTime).toEqual(expect.any(String));
    expect(first.lifeCycle?.state).toBe('NOT_READY');

    // at every moment: the steps before are done, at most one runs, the ones after have not started
    for (const s of snapshots) expect(stepStatuses(s).map((x) => x?.[0]).join('')).toMatch(/^S*I?N*$/);
    for (let i = 0; i < INITIATION_STEPS.length; i++) {
      const seen = snapshots.map((s) => stepStatuses(s)[i]).filter((v, n, a) => n === 0 || v !== a[n - 1]);
      expect(seen).toEqual(i === 0 ? ['IN_PROGRESS', 'SUCCEEDED'] : ['NOT_STARTED', 'IN_PROGRESS', 'SUCCEEDED']);
    }
    expect(stepStatuses(synced)).toEqual(INITIATION_STEPS.map(() => 'SUCCEEDED'));
    const tookS = ((await clockMs(env)) - startedAt) / 1000;
    expect(tookS).toBeGreaterThan(5 * MINUTES);
    expect(tookS).toBeLessThan(11 * MINUTES);
  });

  it('copies bytes at bandwidthBytesPerS during INITIAL_SYNC and gives an etaDateTime', async () => {
    const bandwidth = 64 * MiB;
    const env = await oneServer({ bandwidthBytesPerS: bandwidth });
    await until(env, env.id, (s) => replState(s) === 'INITIAL_SYNC');
    await env.advance(60);
    const a = await serverOf(env.mgn, env.id);
    await env.advance(300);
    const b = await serverOf(env.mgn, env.id);
    expect(replState(b)).toBe('INITIAL_SYNC');
    const grown = sum(b, 'replicatedStorageBytes') - sum(a, 'replicatedStorageBytes');
    expect(grown).toBeGreaterThan(300 * bandwidth * 0.99);
    expect(grown).toBeLessThan(300 * bandwidth * 1.01);

    expect(b.lifeCycle?.state).toBe('NOT_READY');
    expect(b.dataReplicationInfo?.lagDuration).toBeUndefined();
    expect(b.lifeCycle?.firstByteDateTime).toEqual(expect.any(String));
    const total = sum(b, 'totalStorageBytes');
    const remainingS = (total - sum(b, 'replicatedStorageBytes')) / bandwidth;
    const eta = Date.parse(b.dataReplicationInfo?.etaDateTime as string);
    expect(Math.abs(eta - ((await clockMs(env)) + remainingS * 1000))).toBeLessThan(15_000);

    // the sync ends at the eta
    await env.advance((eta - (await clockMs(env))) / 1000 - 30);
    expect(replState(await serverOf(env.mgn, env.id))).toBe('INITIAL_SYNC');
    await env.advance(60);
    const done = await serverOf(env.mgn, env.id);
    expect(replState(done)).toBe('CREATING_SNAPSHOT');
    expect(sum(done, 'replicatedStorageBytes')).toBe(total);
    expect(done.dataReplicationInfo?.etaDateTime).toBeUndefined();
  });

  it('goes CREATING_SNAPSHOT → CONTINUOUS with lag P0D and the server becomes READY_FOR_TEST', async () => {
    const env = await oneServer({ bandwidthBytesPerS: 512 * MiB });
    const snapshotting = await until(env, env.id, (s) => replState(s) === 'CREATING_SNAPSHOT');
    expect(snapshotting.lifeCycle?.state).toBe('NOT_READY');
    expect(snapshotting.dataReplicationInfo?.lagDuration).toBeUndefined();
    expect(env.events.filter((e) => e['detail-type'] === 'MGN Source Server Lifecycle State Change')).toEqual([]);

    const s = await until(env, env.id, (x) => replState(x) !== 'CREATING_SNAPSHOT', 10, 10 * MINUTES);
    expect(replState(s)).toBe('CONTINUOUS');
    expect(s.lifeCycle?.state).toBe('READY_FOR_TEST');
    expect(s.dataReplicationInfo?.lagDuration).toBe('P0D');
    expect(s.dataReplicationInfo?.lastSnapshotDateTime).toEqual(expect.any(String));
    expect(s.dataReplicationInfo?.dataReplicationError).toBeUndefined();
    const firstByte = Date.parse(s.lifeCycle?.firstByteDateTime as string);
    const now = await clockMs(env);
    expect(firstByte).toBeLessThan(Date.parse(s.dataReplicationInfo?.lastSnapshotDateTime as string));
    // elapsedReplicationDuration counts from the first byte (rendered on a 10 s agent heartbeat)
    expect(Math.abs(durationMs(s.lifeCycle?.elapsedReplicationDuration) - (now - firstByte))).toBeLessThanOrEqual(10_000);
    const ready = env.events.filter((e) => e['detail-type'] === 'MGN Source Server Lifecycle State Change');
    expect(ready.map((e) => [e.resources, e.detail])).toEqual([[[s.arn], { state: 'READY_FOR_TEST' }]]);

    // continuous replication keeps taking snapshots
    await env.advance(HOURS);
    const later = await serverOf(env.mgn, env.id);
    expect(replState(later)).toBe('CONTINUOUS');
    expect(Date.parse(later.dataReplicationInfo?.lastSnapshotDateTime as string)).toBeGreaterThan(
      Date.parse(s.dataReplicationInfo?.lastSnapshotDateTime as string),
    );
  });

  it('stalls on an injected fault, grows the lag while stalled and recovers through RESCAN after stallRecoverAfterS', async () => {
    const env = await oneServer({ start: 'ready-for-test' });
    expect((await control(env.emu.endpoint, '/faults', { stallRecoverAfterS: 1200 })).status).toBe(200);
    const inject = await control<{ dataReplicationInfo: { dataReplicationState: string } }>(env.emu.endpoint, `/servers/${env.id}/inject`, {
      stall: 'UNSTABLE_NETWORK',
    });
    expect(inject.body.dataReplicationInfo.dataReplicationState).toBe('STALLED');

    await env.advance(60);
    const a = await serverOf(env.mgn, env.id);
    expect(replState(a)).toBe('STALLED');
    expect(a.dataReplicationInfo?.dataReplicationError).toEqual({ error: 'UNSTABLE_NETWORK', rawError: expect.any(String) });
    expect(a.lifeCycle?.state).toBe('READY_FOR_TEST');
    expect(a.dataReplicationInfo?.dataReplicationInitiation?.nextAttemptDateTime).toEqual(expect.any(String));
    await env.advance(600);
    const b = await serverOf(env.mgn, env.id);
    expect(replState(b)).toBe('STALLED');
    expect(durationMs(b.dataReplicationInfo?.lagDuration) - durationMs(a.dataReplicationInfo?.lagDuration)).toBe(600_000);

    await env.advance(600);
    const rescan = await serverOf(env.mgn, env.id);
    expect(replState(rescan)).toBe('RESCAN');
    expect(rescan.dataReplicationInfo?.dataReplicationError).toBeUndefined();
    expect(durationMs(rescan.dataReplicationInfo?.lagDuration)).toBeGreaterThan(durationMs(b.dataReplicationInfo?.lagDuration));
    const back = await until(env, env.id, (s) => replState(s) !== 'RESCAN', 10, HOURS);
    expect(replState(back)).toBe('CONTINUOUS');
    expect(back.dataReplicationInfo?.lagDuration).toBe('P0D');
    expect(stalledEvents(env, env.id)).toEqual(['STALLED', 'NOT_STALLED']);
  });

  it('stalls every server with stallRate 1 and lets each recover after stallRecoverAfterS', async () => {
    const env = await start({ servers: 3, faults: { stallRate: 1, stallRecoverAfterS: 600 }, bandwidthBytesPerS: 256 * MiB });
    const ids = await env.ids();
    const stalled = new Map<string, SourceServer>();
    for (let waited = 0; waited < 6 * HOURS && stalled.size < ids.length; waited += 60) {
      for (const s of await env.all()) {
        const id = s.sourceServerID as string;
        if (replState(s) === 'STALLED' && !stalled.has(id)) stalled.set(id, s);
      }
      await env.advance(60);
    }
    expect([...stalled.keys()].sort()).toEqual([...ids].sort());
    for (const s of stalled.values()) {
      expect(s.dataReplicationInfo?.dataReplicationError?.error).toMatch(/^(UNSTABLE_NETWORK|SNAPSHOTS_FAILURE|FAILED_TO_[A-Z_]+)$/);
    }
    await env.advance(15 * MINUTES);
    for (const id of ids) {
      expect(replState(await serverOf(env.mgn, id))).not.toBe('STALLED');
      const changes = env.events.filter(
        (e) => e['detail-type'] === 'MGN Source Server Data Replication Stalled Change' && e.resources[0]?.endsWith(`/${id}`),
      );
      expect(changes.map((e) => e.detail.state)).toEqual(['STALLED', 'NOT_STALLED']);
      expect(Date.parse(changes[1]?.time as string) - Date.parse(changes[0]?.time as string)).toBeLessThanOrEqual(601_000);
      expect(Date.parse(changes[1]?.time as string) - Date.parse(changes[0]?.time as string)).toBeGreaterThanOrEqual(599_000);
    }
  });

  it('restarts initiation when RetryDataReplication is called on a stalled server', async () => {
    // servers stalled during initiation stay stalled (recovery far away) until retried
    const env = await start({ servers: 10, faults: { stallRate: 1, stallRecoverAfterS: 1e6 } });
    await env.advance(20 * MINUTES);
    const failed = (await env.all()).find((s) => s.dataReplicationInfo?.dataReplicationError?.error?.startsWith('FAILED_TO_'));
    expect(failed, 'seed 42 stalls at least one of 10 servers during initiation').toBeDefined();
    const id = (failed as SourceServer).sourceServerID as string;
    const statuses = stepStatuses(failed as SourceServer);
    const at = statuses.indexOf('FAILED');
    expect(at).toBeGreaterThan(0);
    expect(failed?.dataReplicationInfo?.dataReplicationError?.error).toBe(`FAILED_TO_${INITIATION_STEPS[at]}`);
    expect(statuses).toEqual(INITIATION_STEPS.map((_, i) => (i < at ? 'SUCCEEDED' : i === at ? 'FAILED' : 'NOT_STARTED')));

    const retried = await env.mgn.send(new RetryDataReplicationCommand({ sourceServerID: id }));
    expect(retried.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
    expect(retried.dataReplicationInfo?.dataReplicationError).toBeUndefined();
    expect(Date.parse(retried.dataReplicationInfo?.dataReplicationInitiation?.startDateTime as string)).toBe(await clockMs(env));
    expect(retried.dataReplicationInfo?.dataReplicationInitiation?.steps?.map((x) => x.status)).toEqual(
      INITIATION_STEPS.map((_, i) => (i === 0 ? 'IN_PROGRESS' : 'NOT_STARTED')),
    );
    const synced = await until(env, id, (s) => replState(s) !== 'INITIATING', 10, HOURS);
    expect(replState(synced)).toBe('INITIAL_SYNC');
    expect(stalledEvents(env, id)).toEqual(['STALLED', 'NOT_STALLED']);

    await expect(env.mgn.send(new RetryDataReplicationCommand({ sourceServerID: id }))).rejects.toBeInstanceOf(ValidationException);
  });

  it('marks the running initiation step FAILED when a stall is injected during initiation', async () => {
    const env = await oneServer();
    const running = await until(env, env.id, (s) => stepStatuses(s)[3] === 'IN_PROGRESS');
    expect(replState(running)).toBe('INITIATING');
    await control(env.emu.endpoint, '/faults', { stallRecoverAfterS: 300 });
    await control(env.emu.endpoint, `/servers/${env.id}/inject`, { stall: 'FAILED_TO_BOOT_REPLICATION_SERVER' });
    const stalled = await serverOf(env.mgn, env.id);
    expect(replState(stalled)).toBe('STALLED');
    expect(stalled.dataReplicationInfo?.dataReplicationError?.error).toBe('FAILED_TO_BOOT_REPLICATION_SERVER');
    expect(stepStatuses(stalled)).toEqual(INITIATION_STEPS.map((_, i) => (i < 3 ? 'SUCCEEDED' : i === 3 ? 'FAILED' : 'NOT_STARTED')));

    // recovery runs the steps again from the first
    await env.advance(300);
    const again = await serverOf(env.mgn, env.id);
    expect(replState(again)).toBe('INITIATING');
    expect(stepStatuses(again)).toEqual(INITIATION_STEPS.map((_, i) => (i === 0 ? 'IN_PROGRESS' : 'NOT_STARTED')));
    expect(replState(await until(env, env.id, (s) => replState(s) !== 'INITIATING', 10, HOURS))).toBe('INITIAL_SYNC');
  });

  it('keeps the copied bytes across PauseReplication and continues the sync on ResumeReplication', async () => {
    const bandwidth = 64 * MiB;
    const env = await oneServer({ bandwidthBytesPerS: bandwidth });
    await until(env, env.id, (s) => replState(s) === 'INITIAL_SYNC');
    await env.advance(200);
    const paused = await env.mgn.send(new PauseReplicationCommand({ sourceServerID: env.id }));
    expect(paused.dataReplicationInfo?.dataReplicationState).toBe('PAUSED');
    const copied = disks(paused).reduce((a, d) => a + (d.replicatedStorageBytes ?? 0), 0);
    expect(copied).toBeGreaterThan(150 * bandwidth);

    await env.advance(2 * HOURS);
    const still = await serverOf(env.mgn, env.id);
    expect(replState(still)).toBe('PAUSED');
    expect(sum(still, 'replicatedStorageBytes')).toBe(copied);
    await expect(env.mgn.send(new PauseReplicationCommand({ sourceServerID: env.id }))).rejects.toBeInstanceOf(ConflictException);

    const resumed = await env.mgn.send(new ResumeReplicationCommand({ sourceServerID: env.id }));
    expect(resumed.dataReplicationInfo?.dataReplicationState).toBe('INITIAL_SYNC');
    expect(disks(resumed).reduce((a, d) => a + (d.replicatedStorageBytes ?? 0), 0)).toBe(copied);
    await env.advance(100);
    const later = await serverOf(env.mgn, env.id);
    expect(sum(later, 'replicatedStorageBytes')).toBeGreaterThan(copied + 90 * bandwidth);
    expect(sum(later, 'replicatedStorageBytes')).toBeLessThanOrEqual(copied + 101 * bandwidth);
    await expect(env.mgn.send(new ResumeReplicationCommand({ sourceServerID: env.id }))).rejects.toBeInstanceOf(ConflictException);
  });

  it('stops on StopReplication and initiates again on StartReplication', async () => {
    const env = await oneServer({ start: 'ready-for-test' });
    const stopped = await env.mgn.send(new StopReplicationCommand({ sourceServerID: env.id }));
    expect(stopped.dataReplicationInfo?.dataReplicationState).toBe('STOPPED');
    await env.advance(HOURS);
    const s = await serverOf(env.mgn, env.id);
    expect(replState(s)).toBe('STOPPED');
    expect(durationMs(s.dataReplicationInfo?.lagDuration)).toBeGreaterThanOrEqual(HOURS * 1000 - 10_000);
    await expect(env.mgn.send(new StopReplicationCommand({ sourceServerID: env.id }))).rejects.toBeInstanceOf(ConflictException);

    const started = await env.mgn.send(new StartReplicationCommand({ sourceServerID: env.id }));
    expect(started.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
    expect(started.dataReplicationInfo?.dataReplicationInitiation?.steps?.[0]?.status).toBe('IN_PROGRESS');
    await expect(env.mgn.send(new StartReplicationCommand({ sourceServerID: env.id }))).rejects.toBeInstanceOf(ConflictException);
    const back = await until(env, env.id, (x) => replState(x) === 'CONTINUOUS', 30, 2 * HOURS);
    expect(back.dataReplicationInfo?.lagDuration).toBe('P0D');
    expect(back.lifeCycle?.state).toBe('READY_FOR_TEST');
  });

  it('disconnects for good on DisconnectFromService: no lag, no storage, lifecycle DISCONNECTED', async () => {
    const env = await oneServer({ start: 'ready-for-test' });
    const d = await env.mgn.send(new DisconnectFromServiceCommand({ sourceServerID: env.id }));
    expect(d.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
    expect(d.dataReplicationInfo?.lagDuration).toBeUndefined();
    expect(d.lifeCycle?.state).toBe('DISCONNECTED');
    expect(d.dataReplicationInfo?.replicatedDisks?.length).toBeGreaterThan(0);
    for (const disk of d.dataReplicationInfo?.replicatedDisks ?? []) expect(disk.totalStorageBytes).toBe(0);

    await env.advance(30 * HOURS);
    const s = await serverOf(env.mgn, env.id);
    expect(replState(s)).toBe('DISCONNECTED');
    expect(s.dataReplicationInfo?.lagDuration).toBeUndefined();
    expect(sum(s, 'totalStorageBytes')).toBe(0);
    expect(s.lifeCycle?.state).toBe('DISCONNECTED');
    await expect(env.mgn.send(new DisconnectFromServiceCommand({ sourceServerID: env.id }))).rejects.toBeInstanceOf(ConflictException);
  });

  it('disconnects replication on FinalizeCutover and keeps the cutover instance', async () => {
    const env = await oneServer({ start: 'ready-for-test' });
    const r = await env.mgn.send(new StartCutoverCommand({ sourceServerIDs: [env.id] }));
    await env.advance(2 * HOURS);
    const job = (await env.mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [r.job?.jobID as string] } }))).items?.[0];
    expect(job?.participatingServers?.[0]?.launchStatus).toBe('LAUNCHED');
    expect(replState(await serverOf(env.mgn, env.id))).toBe('CONTINUOUS');

    const f = await env.mgn.send(new FinalizeCutoverCommand({ sourceServerID: env.id }));
    expect(f.lifeCycle?.state).toBe('CUTOVER');
    expect(f.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
    expect(f.dataReplicationInfo?.lagDuration).toBeUndefined();
    expect(f.launchedInstance?.ec2InstanceID).toBe(job?.participatingServers?.[0]?.launchedEc2InstanceID);
    await env.advance(HOURS);
    expect(replState(await serverOf(env.mgn, env.id))).toBe('DISCONNECTED');
  });

  it('stalls a quiesced source with AGENT_NOT_SEEN after 15 simulated minutes and never recovers by itself', async () => {
    const env = await oneServer({ start: 'ready-for-test' });
    const quiescedAt = await clockMs(env);
    expect((await control(env.emu.endpoint, `/servers/${env.id}/quiesce`, {})).status).toBe(200);
    await env.advance(14 * MINUTES);
    expect(replState(await serverOf(env.mgn, env.id))).toBe('CONTINUOUS');
    await env.advance(2 * MINUTES);
    const s = await serverOf(env.mgn, env.id);
    expect(replState(s)).toBe('STALLED');
    expect(s.dataReplicationInfo?.dataReplicationError?.error).toBe('AGENT_NOT_SEEN');
    expect(stalledEvents(env, env.id)).toEqual(['STALLED']);

    await env.advance(30 * HOURS);
    const later = await serverOf(env.mgn, env.id);
    expect(replState(later)).toBe('STALLED');
    expect(later.dataReplicationInfo?.dataReplicationError?.error).toBe('AGENT_NOT_SEEN');
    expect(durationMs(later.dataReplicationInfo?.lagDuration)).toBeGreaterThan(30 * HOURS * 1000);
    expect(Date.parse(later.lifeCycle?.lastSeenByServiceDateTime as string)).toBeLessThanOrEqual(quiescedAt);
    expect(stalledEvents(env, env.id)).toEqual(['STALLED']);
  });

  it('shows injected backlog in backloggedStorageBytes', async () => {
    const env = await oneServer({ start: 'ready-for-test' });
    expect(sum(await serverOf(env.mgn, env.id), 'backloggedStorageBytes')).toBe(0);
    const backlog = 840 * MiB; // divisible by any disk count from 1 to 8
    expect((await control(env.emu.endpoint, `/servers/${env.id}/inject`, { backlogBytes: backlog })).status).toBe(200);
    const s = await serverOf(env.mgn, env.id);
    expect(sum(s, 'backloggedStorageBytes')).toBe(backlog);
    expect(replState(s)).toBe('CONTINUOUS');
    await control(env.emu.endpoint, `/servers/${env.id}/inject`, { backlogBytes: 0 });
    expect(sum(await serverOf(env.mgn, env.id), 'backloggedStorageBytes')).toBe(0);
  });
});
