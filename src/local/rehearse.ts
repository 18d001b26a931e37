import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { parseWaveFile, type Wave } from '../core/wave-file.ts';
import { importServerRefs } from '../core/mgn-import.ts';
import { formatZoned, wallTimeIn } from '../core/zoned-time.ts';
import { type GateKind, gateWords, isFailureGate, isGateKind } from '../core/lifecycle.ts';
import { linksIn, openAndDecide } from './approver.ts';
import { startLocalCloud, type LocalCloud } from './cloud/index.ts';
import { type Faults, QUOTAS, type Quotas } from './emulator/config.ts';
import type { Disk } from './emulator/model.ts';
import { seedServers, type SeedSpec } from './emulator/seed.ts';
import { specsFromWaveTexts } from './seed-from-waves.ts';
import { isServerId } from '../core/ids.ts';

/**
 * `mgn-flow wave rehearse`: the wave, run by the product itself on the local cloud in discrete-event time,
 * against an MGN emulator seeded with the wave's own servers (or with the real account's, `--from-stage`),
 * with MGN's durations (initial sync from disk sizes and bandwidth, conversion, boot, jobs within the job
 * quotas) and people who decide after a delay, in working hours of the wave's time zone. What it prints is a
 * forecast: when each application reaches and passes each gate, when it launches, whether its cutover fits
 * the window, how busy MGN's job quotas get, how many approvals each person gets per day, what the test
 * instances cost, and everything that would break. Same inputs and seed, same forecast.
 */

export interface WorkingHours {
  /** Minutes after local midnight. */
  startMin: number;
  endMin: number;
  /** ISO weekdays (1 Monday .. 7 Sunday). */
  days: number[];
}

export interface RehearseOptions {
  waveFile: string;
  /** The file is MGN's import file (CSV); `wave` chooses one of its waves. */
  mgnImport?: { wave?: string };
  seed?: number;
  faults?: Partial<Faults>;
  /** How long a person takes to decide once asked (ms). */
  approverDelayMs: number;
  /** The change id approvers give where the wave requires one (changeRef). */
  changeRef?: string;
  /** When people decide; 'always' for a 24x7 change board. */
  workingHours: WorkingHours | 'always';
  /** Simulated start (ms since epoch); default: now, to the minute. */
  startAt?: number;
  /** Replication caught up (the usual state when a wave is scheduled) or starting now from the disks. */
  replication: 'caught-up' | 'from-scratch';
  /** Replication bandwidth per server, MiB/s (from-scratch). */
  bandwidthMiBps?: number;
  /** The account's servers (`--from-stage`): seeded as read; otherwise the wave's servers are made up. */
  servers?: SeedSpec[];
  /** MGN quotas to rehearse under (default: MGN's defaults). */
  quotas?: Partial<Quotas>;
  /** Give up after this many simulated days (default: soak + 60). */
  horizonDays?: number;
  /** Progress lines (stderr). */
  out?: (line: string) => void;
}

export type { GateKind };

export interface GateForecast {
  gate: GateKind;
  askedAt: number;
  decidedAt?: number;
  decision?: string;
  approvers: string[];
}

export interface ApplicationForecast {
  name: string;
  servers: number;
  canary: boolean;
  testLaunchAt?: number;
  testLaunchedAt?: number;
  cutoverLaunchAt?: number;
  cutoverLaunchedAt?: number;
  finalizedAt?: number;
  gates: GateForecast[];
  result: string;
  why?: string;
  fitsWindow: boolean | null;
  testInstanceHours: number;
  ec2CostUsd: number;
}

export interface Risk {
  kind: 'window-missed' | 'freeze' | 'quota' | 'gate-expired' | 'failed' | 'unfinished' | 'after-hours';
  application?: string;
  message: string;
}

export interface Forecast {
  wave: string;
  timeZone: string;
  waveFile: string;
  seed: number;
  startedAt: number;
  endedAt: number;
  outcome: string;
  cutoverWindow: { start: number; end: number } | null;
  freeze: { start: number; end: number; reason?: string }[];
  applications: ApplicationForecast[];
  quotas: { peakJobs: number; jobQuota: number; peakServersInJobs: number; serversInJobsQuota: number; peakWaitingAtLaunchPoints: number; waitedForJobSlotsAt?: number };
  approvals: { perDay: Record<string, number>; perApprover: Record<string, number> };
  testInstanceHours: number;
  ec2CostUsd: number;
  risks: Risk[];
  assumptions: string[];
  wallSeconds: number;
  mgnCalls: number;
  transitions: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GiB = 1024 ** 3;

/**
 * On-demand Linux list prices, us-east-1, USD per hour (estimates for the forecast; Windows adds its licence).
 * Instance types not listed are priced from their size.
 */
const EC2_PRICE: Record<string, number> = {
  'c5.large': 0.085, 'c5.xlarge': 0.17, 'c5.2xlarge': 0.34, 'c5.4xlarge': 0.68,
  'm5.large': 0.096, 'm5.xlarge': 0.192, 'm5.2xlarge': 0.384, 'm5.4xlarge': 0.768,
  'r5.large': 0.126, 'r5.xlarge': 0.252, 'r5.2xlarge': 0.504, 'r5.4xlarge': 1.008,
};
const WINDOWS_PER_VCPU_HOUR = 0.046;

export function ec2HourlyUsd(instanceType: string, windows: boolean, vcpus: number): number {
  const size = instanceType.split('.')[1] ?? 'large';
  const base = EC2_PRICE[instanceType] ?? ({ large: 0.1, xlarge: 0.2, '2xlarge': 0.4, '4xlarge': 0.8 } as Record<string, number>)[size] ?? 0.2;
  return base + (windows ? WINDOWS_PER_VCPU_HOUR * vcpus : 0);
}

export const OFFICE_HOURS: WorkingHours = { startMin: 9 * 60, endMin: 17 * 60, days: [1, 2, 3, 4, 5] };

/** `09:00-17:00`, `always`, optionally `Mon-Fri` (the default) or `Mon-Sun`. */
export function parseWorkingHours(text: string): WorkingHours | 'always' {
  const t = text.trim();
  if (t === 'always' || t === '24x7') return 'always';
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})(?:\s+(Mon-Fri|Mon-Sat|Mon-Sun))?$/.exec(t);
  if (!m) throw new Error(`--working-hours ${text}: give HH:MM-HH:MM, optionally followed by Mon-Fri, Mon-Sat or Mon-Sun (e.g. "08:00-18:00 Mon-Fri"), or "always"`);
  const startMin = Number(m[1]) * 60 + Number(m[2]);
  const endMin = Number(m[3]) * 60 + Number(m[4]);
  if (startMin >= endMin || endMin > 24 * 60) throw new Error(`--working-hours ${text}: the start must be before the end, within one day`);
  const days = m[5] === 'Mon-Sun' ? [1, 2, 3, 4, 5, 6, 7] : m[5] === 'Mon-Sat' ? [1, 2, 3, 4, 5, 6] : [1, 2, 3, 4, 5];
  return { startMin, endMin, days };
}

/** The first moment at or after `t` inside working hours in `zone` (15-minute steps, at most 3 weeks on). */
export function nextWorkingMoment(t: number, zone: string, hours: WorkingHours | 'always'): number {
  if (hours === 'always') return t;
  const inHours = (ms: number) => {
    const w = wallTimeIn(ms, zone);
    const weekday = ((new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay() + 6) % 7) + 1;
    const min = w.hour * 60 + w.minute;
    return hours.days.includes(weekday) && min >= hours.startMin && min < hours.endMin;
  };
  if (inHours(t)) return t;
  let x = Math.ceil(t / (15 * 60_000)) * 15 * 60_000;
  for (let i = 0; i < 21 * 96; i++, x += 15 * 60_000) if (inHours(x)) return x;
  return t;
}

/** The servers MGN's import file names, made up: by id, by the user-provided id, or with the FQDN as hostname. */
function specsFromImport(text: string, start: SeedSpec['start'], wave?: string): SeedSpec[] {
  return importServerRefs(text, wave).map((r, i) => {
    const hostname = r.fqdn ?? `server-${String(i + 1).padStart(4, '0')}`;
    return { hostname, start, ...(r.id && isServerId(r.id) ? { id: r.id } : {}), ...(r.userProvidedId ? { userProvidedId: r.userProvidedId } : {}), ...(r.account ? { account: r.account } : {}) };
  });
}

/** A source server as DescribeSourceServers shows it, to seed the emulator with (`--from-stage`). */
export function seedSpecFromMgn(s: {
  sourceServerID?: string;
  sourceProperties?: { identificationHints?: { hostname?: string }; disks?: { deviceName?: string; bytes?: number }[]; cpus?: { cores?: number }[]; ramBytes?: number; os?: { fullString?: string } };
  dataReplicationInfo?: { dataReplicationState?: string };
  lifeCycle?: { state?: string };
}): SeedSpec {
  const p = s.sourceProperties ?? {};
  const disks: Disk[] = (p.disks ?? []).filter((d) => (d.bytes ?? 0) > 0).map((d, i) => ({ deviceName: d.deviceName ?? `/dev/sd${String.fromCharCode(97 + i)}`, bytes: d.bytes as number }));
  const cores = (p.cpus ?? []).reduce((a, c) => a + (c.cores ?? 0), 0);
  const caughtUp = s.dataReplicationInfo?.dataReplicationState === 'CONTINUOUS' || ['READY_FOR_TEST', 'TESTING', 'READY_FOR_CUTOVER', 'CUTTING_OVER', 'CUTOVER'].includes(s.lifeCycle?.state ?? '');
  return {
    hostname: p.identificationHints?.hostname ?? String(s.sourceServerID),
    ...(s.sourceServerID ? { id: s.sourceServerID } : {}),
    ...(disks.length ? { disks } : {}),
    ...(cores > 0 ? { cores } : {}),
    ...(p.ramBytes ? { ramGiB: Math.max(1, Math.round(p.ramBytes / GiB)) } : {}),
    ...(p.os?.fullString ? { windows: /windows/i.test(p.os.fullString) } : {}),
    start: caughtUp ? 'ready-for-test' : 'agent-installed',
  };
}

export async function rehearse(opts: RehearseOptions): Promise<Forecast> {
  const out = opts.out ?? (() => undefined);
  const wall = performance.now();
  const seed = opts.seed ?? 1;
  const file = resolve(opts.waveFile);
  const text = readFileSync(file, 'utf8');
  const start = opts.replication === 'caught-up' ? 'ready-for-test' : 'agent-installed';
  // the servers the wave names, made up (or the account's, as read), before anything else: a wave file that
  // does not parse is refused here with its own errors, as `wave start` refuses it
  const specs = opts.servers ?? (opts.mgnImport ? specsFromImport(text, start, opts.mgnImport.wave) : specsFromWaveTexts([{ file, text }], start));
  const startAt = opts.startAt ?? Math.floor(Date.now() / 60_000) * 60_000;
  const cloud = await startLocalCloud({
    root: resolve(import.meta.dirname, '../..'),
    servers: 0,
    seed,
    clock: 'discrete',
    // time stands until the scenario is set up: how long seeding and validating take here moves nothing
    holdClock: true,
    startTime: startAt,
    writeLocalJson: false,
    // MGN's default quotas; the replicating-servers quota raised to the wave's size if it is above it (a
    // forecast risk: the account needs that increase before the wave)
    quotas: { maxActiveSourceServers: Math.max(QUOTAS.maxActiveSourceServers.value, specs.length), ...opts.quotas },
    ...(opts.faults ? { faults: opts.faults } : {}),
  });
  const cleanups: (() => void)[] = [];
  try {
    const engine = cloud.emulator.engine;
    if (opts.bandwidthMiBps) (engine as unknown as { bandwidth: number }).bandwidth = opts.bandwidthMiBps * 1024 * 1024;
    seedServers(engine, specs.length, start, 0, specs);

    // validated and stored by the use case of `mgn-flow wave start`, through the product's own adapters
    const { loadWave, mgnImportSource, waveFileSource } = await import('../core/wave-start.ts');
    const { createDeps, loadConfig } = await import('../adapters/aws/index.ts');
    const deps = createDeps(loadConfig());
    cleanups.push(() => {
      for (const c of Object.values(deps.clients)) c.destroy();
    });
    const wave: Wave = await loadWave(deps, opts.mgnImport ? mgnImportSource(text, file, { region: cloud.info.region, ...(opts.mgnImport.wave !== undefined ? { wave: opts.mgnImport.wave } : {}) }) : waveFileSource(text, file));
    await deps.waves.putDefinition(wave);
    const zone = wave.timeZone;
    const horizon = startAt + (opts.horizonDays ?? wave.defaults.soakDays + 60) * DAY;

    // people: every approver the wave names subscribes with the deployed stack's filter policy; ops too
    const region = cloud.info.region;
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const sns = new SNSClient({ region, endpoint: cloud.endpoints.sns, credentials });
    const people = [...new Set([...wave.approvers.testSignoff, ...wave.approvers.goNoGo, ...wave.approvers.finalize])];
    await sns.send(new SubscribeCommand({ TopicArn: String(cloud.env.OPS_TOPIC_ARN), Protocol: 'email', Endpoint: 'ops@example.com' }));
    for (const person of people.length ? people : ['approver@example.com']) {
      await sns.send(
        new SubscribeCommand({ TopicArn: String(cloud.env.APPROVAL_TOPIC_ARN), Protocol: 'email', Endpoint: person, Attributes: { FilterPolicy: JSON.stringify({ approver: [person, 'any'] }) } }),
      );
    }
    sns.destroy();

    // the approvers: each request is decided after the delay, in working hours; a sign-off at the end of the
    // soak (the testers test for the whole soak), failures are retried
    const gates = new Map<string, GateForecast & { application: string }>();
    const perApprover: Record<string, number> = {};
    const perDay: Record<string, number> = {};
    const soakMs = wave.defaults.soakDays * DAY;
    cleanups.push(
      cloud.sns.onMessage((m) => {
        const gateId = m.attributes.gateId?.StringValue;
        const gate = m.attributes.gate?.StringValue ?? '';
        const application = m.attributes.application?.StringValue ?? '';
        if (!gateId || m.attributes.kind?.StringValue !== 'request' || !isGateKind(gate)) return;
        const askedAt = Date.parse(m.at);
        const url = linksIn(m.message)[0];
        perApprover[m.endpoint] = (perApprover[m.endpoint] ?? 0) + 1;
        const day = formatZoned(askedAt, zone).slice(0, 10);
        perDay[day] = (perDay[day] ?? 0) + 1;
        // every approver asked decides (a quorum needs several); the gate's forecast is the first request's
        let g = gates.get(gateId);
        if (g) {
          if (!g.approvers.includes(m.endpoint)) g.approvers.push(m.endpoint);
        } else {
          g = { application, gate, askedAt, approvers: [m.endpoint] } as GateForecast & { application: string };
          gates.set(gateId, g);
        }
        const forecast = g;
        if (!url) return;
        const ready = gateWords(gate).afterSoak ? askedAt + soakMs : askedAt;
        const at = nextWorkingMoment(ready + opts.approverDelayMs, zone, opts.workingHours);
        const decision = isFailureGate(gate) ? 'retry' : 'approve';
        const decide = async (attempt: number): Promise<void> => {
          const r = await openAndDecide(url, { decision, name: m.endpoint, comment: 'rehearsal', quiesced: true, ...(opts.changeRef ? { changeRef: opts.changeRef } : {}) }, 'mgn-flow-rehearsal', cloud.fetch);
          const status = r.post?.status ?? r.get.status;
          // 400: some of the application's servers are not at the gate yet; look again in a quarter of an hour
          if (status === 400 && attempt < 200) {
            cloud.clock.after(15 * 60_000, () => void decide(attempt + 1));
            return;
          }
          // the gate is decided once its quorum is met: this approver's decision is the one that did
          if (status === 200 && !/Your decision is recorded/.test(r.post?.body ?? '') && forecast.decidedAt === undefined) {
            forecast.decidedAt = cloud.clock.now();
            forecast.decision = decision;
          }
        };
        cloud.clock.at(Math.max(at, cloud.clock.now()), () => void decide(0));
      }),
    );

    // MGN's job quotas, looked at every instant the clock moves to
    const quotas = { peakJobs: 0, jobQuota: engine.quotas.concurrentJobs, peakServersInJobs: 0, serversInJobsQuota: engine.quotas.maxServersInActiveJobs, peakWaitingAtLaunchPoints: 0 } as Forecast['quotas'];
    let last = Number.NaN;
    let reachedHorizon: () => void = () => undefined;
    const horizonReached = new Promise<void>((r) => (reachedHorizon = r));
    cleanups.push(
      cloud.clock.observe((now) => {
        if (now === last) return;
        last = now;
        let jobs = 0;
        let inJobs = 0;
        for (const j of engine.jobs.values()) {
          if (j.status === 'COMPLETED') continue;
          jobs++;
          inJobs += j.participants.length;
        }
        const waiting = cloud.host.openTasks().filter((t) => /LaunchPoint$/.test(t.stateName)).length;
        quotas.peakJobs = Math.max(quotas.peakJobs, jobs);
        quotas.peakServersInJobs = Math.max(quotas.peakServersInJobs, inJobs);
        if (waiting > quotas.peakWaitingAtLaunchPoints) quotas.peakWaitingAtLaunchPoints = waiting;
        if (waiting > 0 && (jobs >= quotas.jobQuota || inJobs >= quotas.serversInJobsQuota) && quotas.waitedForJobSlotsAt === undefined) quotas.waitedForJobSlotsAt = now;
        if (now >= horizon) reachedHorizon();
      }),
    );

    cloud.startClock();
    const name = `${wave.name}-1`;
    const arn = cloud.host.startExecution({ stateMachineArn: cloud.stateMachineArn('wave'), name, input: JSON.stringify({ wave: wave.name }) }).executionArn;
    out(`rehearse: ${wave.name}: ${wave.applications.length} application(s), ${specs.length} server(s), from ${formatZoned(startAt, zone)} ${zone}; approvers decide ${describeHours(opts)}`);
    const settled = await Promise.race([cloud.host.settled(arn), horizonReached.then(() => undefined)]);
    const endedAt = cloud.clock.now();
    const report = (await deps.waves.getReport(wave.name)) as { servers: { serverId: string; application: string; result: string; why?: string; waited?: string[] }[] } | undefined;
    return forecastOf({ cloud, wave, file, seed, startAt, endedAt, outcome: settled ? settled.status : 'UNFINISHED', gates, perApprover, perDay, quotas, report, opts, wallSeconds: (performance.now() - wall) / 1000 });
  } finally {
    for (const c of cleanups.reverse()) c();
    await cloud.close();
  }
}

function describeHours(opts: RehearseOptions): string {
  const delay = `${Math.round((opts.approverDelayMs / HOUR) * 10) / 10} h after they are asked`;
  if (opts.workingHours === 'always') return `${delay}, any time`;
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const days = opts.workingHours.days.length === 5 ? 'Mon-Fri' : opts.workingHours.days.length === 6 ? 'Mon-Sat' : 'Mon-Sun';
  return `${delay}, ${hm(opts.workingHours.startMin)}-${hm(opts.workingHours.endMin)} ${days}`;
}

function forecastOf(x: {
  cloud: LocalCloud;
  wave: Wave;
  file: string;
  seed: number;
  startAt: number;
  endedAt: number;
  outcome: string;
  gates: Map<string, GateForecast & { application: string }>;
  perApprover: Record<string, number>;
  perDay: Record<string, number>;
  quotas: Forecast['quotas'];
  report: { servers: { serverId: string; application: string; result: string; why?: string; waited?: string[] }[] } | undefined;
  opts: RehearseOptions;
  wallSeconds: number;
}): Forecast {
  const { cloud, wave } = x;
  const engine = cloud.emulator.engine;
  const jobs = [...engine.jobs.values()];
  const window = wave.cutoverWindow ? { start: Date.parse(wave.cutoverWindow.start), end: Date.parse(wave.cutoverWindow.end) } : null;
  const freeze = wave.freeze.map((f) => ({ start: Date.parse(f.start), end: Date.parse(f.end), ...(f.reason ? { reason: f.reason } : {}) }));
  const risks: Risk[] = [];
  const applications: ApplicationForecast[] = [];
  for (const app of wave.applications) {
    const ids = new Set(app.servers.map((s) => s.id));
    const mine = jobs.filter((j) => j.participants.some((p) => ids.has(p.sourceServerID)));
    const first = (kind: 'START_TEST' | 'START_CUTOVER') => mine.filter((j) => j.initiatedBy === kind).sort((a, b) => a.createdAt - b.createdAt)[0];
    const test = first('START_TEST');
    const cutover = first('START_CUTOVER');
    const terminate = mine.filter((j) => j.type === 'TERMINATE');
    let hours = 0;
    let cost = 0;
    for (const id of ids) {
      const s = engine.servers.get(id);
      const launched = mine.filter((j) => j.initiatedBy === 'START_TEST' && j.participants.some((p) => p.sourceServerID === id && p.launchStatus === 'LAUNCHED')).map((j) => j.endedAt ?? j.createdAt).sort((a, b) => a - b)[0];
      if (launched === undefined || !s) continue;
      const ended = terminate.filter((j) => j.participants.some((p) => p.sourceServerID === id)).map((j) => j.endedAt ?? x.endedAt).sort((a, b) => a - b)[0] ?? x.endedAt;
      const h = Math.max(0, ended - launched) / HOUR;
      hours += h;
      const vcpus = s.properties.cpus.reduce((a, c) => a + c.cores, 0);
      cost += h * ec2HourlyUsd(s.properties.recommendedInstanceType, s.osFamily === 'WINDOWS', vcpus);
    }
    const appGates = [...x.gates.values()].filter((g) => g.application === app.name).sort((a, b) => a.askedAt - b.askedAt).map(({ application: _a, ...g }) => g);
    const finalize = appGates.filter((g) => gateWords(g.gate).pointOfNoReturn && g.decidedAt !== undefined).at(-1);
    const results = (x.report?.servers ?? []).filter((s) => s.application === app.name);
    const counts = new Map<string, number>();
    for (const r of results) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
    const result = counts.size === 0 ? (x.outcome === 'UNFINISHED' ? 'unfinished' : 'notStarted') : counts.size === 1 ? [...counts.keys()][0] as string : [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
    const why = results.find((r) => r.result !== 'succeeded' && r.why)?.why;
    let fitsWindow: boolean | null = null;
    if (window) {
      fitsWindow = cutover !== undefined && cutover.createdAt >= window.start && (cutover.endedAt ?? Infinity) <= window.end;
      if (!fitsWindow) {
        const when = cutover ? `its cutover launch starts ${local(cutover.createdAt, wave.timeZone)}` : 'it never reaches its cutover launch';
        risks.push({ kind: 'window-missed', application: app.name, message: `${app.name}: misses the cutover window ${local(window.start, wave.timeZone)} to ${local(window.end, wave.timeZone)}: ${when}${why ? ` (${why})` : ''}` });
      }
    }
    for (const w of new Set(results.flatMap((r) => r.waited ?? []))) {
      // the report's instants (UTC ISO) in the wave's zone, as everything else here
      const said = w.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z/g, (iso) => local(Date.parse(iso), wave.timeZone));
      if (/freeze/i.test(w)) risks.push({ kind: 'freeze', application: app.name, message: `${app.name}: ${said}` });
    }
    for (const g of appGates) {
      if (g.decidedAt === undefined) risks.push({ kind: 'gate-expired', application: app.name, message: `${app.name}: ${g.gate} asked ${local(g.askedAt, wave.timeZone)} was never decided in time` });
    }
    const toldWhy = risks.some((r) => r.application === app.name && r.kind === 'window-missed' && why !== undefined && r.message.includes(why));
    if ((counts.has('failed') || counts.has('rolledBack') || counts.has('stopped')) && !toldWhy) risks.push({ kind: 'failed', application: app.name, message: `${app.name}: ${result}${why ? `: ${why}` : ''}` });
    applications.push({
      name: app.name,
      servers: ids.size,
      canary: app.canary,
      ...(test ? { testLaunchAt: test.createdAt, ...(test.endedAt !== undefined ? { testLaunchedAt: test.endedAt } : {}) } : {}),
      ...(cutover ? { cutoverLaunchAt: cutover.createdAt, ...(cutover.endedAt !== undefined ? { cutoverLaunchedAt: cutover.endedAt } : {}) } : {}),
      ...(finalize?.decidedAt !== undefined ? { finalizedAt: finalize.decidedAt } : {}),
      gates: appGates,
      result,
      ...(why ? { why } : {}),
      fitsWindow,
      testInstanceHours: round(hours),
      ec2CostUsd: round(cost),
    });
  }
  if (x.quotas.waitedForJobSlotsAt !== undefined) {
    risks.push({ kind: 'quota', message: `MGN's job quotas were full while servers waited to launch (first ${local(x.quotas.waitedForJobSlotsAt, wave.timeZone)}; peak ${x.quotas.peakJobs}/${x.quotas.jobQuota} jobs, ${x.quotas.peakServersInJobs}/${x.quotas.serversInJobsQuota} servers in jobs): launches were queued` });
  }
  const replicating = engine.quotas.maxActiveSourceServers;
  if (engine.servers.size > QUOTAS.maxActiveSourceServers.value && replicating >= engine.servers.size) {
    risks.push({ kind: 'quota', message: `${engine.servers.size} servers replicate at once: above MGN's default Max Active Source Servers (${QUOTAS.maxActiveSourceServers.value}, ${QUOTAS.maxActiveSourceServers.code}); ask Service Quotas for ${engine.servers.size} before the wave (rehearsed as if granted)` });
  }
  if (x.outcome === 'UNFINISHED') risks.push({ kind: 'unfinished', message: `the wave had not ended ${local(x.endedAt, wave.timeZone)}, ${Math.round((x.endedAt - x.startAt) / DAY)} days after it started` });
  let transitions = 0;
  for (const m of Object.values(cloud.info.stateMachines)) for (const e of cloud.host.listExecutions(m)) transitions += cloud.host.history(e.executionArn).filter((h) => h.type.endsWith('StateEntered')).length;
  const hours = applications.reduce((a, b) => a + b.testInstanceHours, 0);
  const cost = applications.reduce((a, b) => a + b.ec2CostUsd, 0);
  return {
    wave: wave.name,
    timeZone: wave.timeZone,
    waveFile: x.file,
    seed: x.seed,
    startedAt: x.startAt,
    endedAt: x.endedAt,
    outcome: x.outcome,
    cutoverWindow: window,
    freeze,
    applications,
    quotas: x.quotas,
    approvals: { perDay: sortKeys(x.perDay), perApprover: sortKeys(x.perApprover) },
    testInstanceHours: round(hours),
    ec2CostUsd: round(cost),
    risks,
    assumptions: [
      `replication ${x.opts.replication === 'caught-up' ? 'caught up when the wave starts' : `starts now at ${x.opts.bandwidthMiBps ?? 25} MiB/s per server (initial sync from the disk sizes)`}`,
      `approvers decide ${describeHours(x.opts)}, in ${wave.timeZone}; a sign-off at the end of the ${wave.defaults.soakDays}-day soak`,
      'test instances priced at on-demand Linux list prices in us-east-1 (Windows adds its licence); an estimate',
      `MGN's conversion, boot and job durations as the emulator models them; seed ${x.seed}`,
    ],
    wallSeconds: round(x.wallSeconds),
    mgnCalls: cloud.emulator.http.log.length,
    transitions,
  };
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** `Sat 2026-12-05 02:00` in the wave's zone. */
export function local(ms: number, zone: string): string {
  const w = wallTimeIn(ms, zone);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day} ${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
}


/** The forecast as people read it, times in the wave's zone. */
export function forecastText(f: Forecast): string {
  const z = f.timeZone;
  const t = (ms: number | undefined) => (ms === undefined ? '-' : local(ms, z));
  const lines: string[] = [];
  lines.push(`Forecast for ${f.wave} (${f.waveFile}), times in ${z}`);
  lines.push(`  rehearsed from ${t(f.startedAt)} to ${t(f.endedAt)} (${round((f.endedAt - f.startedAt) / DAY)} days): wave ${f.outcome}`);
  if (f.cutoverWindow) lines.push(`  cutover window ${t(f.cutoverWindow.start)} to ${t(f.cutoverWindow.end)}`);
  for (const fr of f.freeze) lines.push(`  freeze ${t(fr.start)} to ${t(fr.end)}${fr.reason ? ` (${fr.reason})` : ''}`);
  lines.push('');
  for (const a of f.applications) {
    lines.push(`${a.name}${a.canary ? ' (canary)' : ''}: ${a.servers} server(s), ${a.result}${a.why && a.result !== 'succeeded' ? ` (${a.why})` : ''}`);
    lines.push(`  test launch      ${t(a.testLaunchAt)}${a.testLaunchedAt !== undefined ? `, launched ${t(a.testLaunchedAt)}` : ''}`);
    // a failure gate is per server: the same gate at the same times for several servers is one line, counted
    const gateLines = new Map<string, number>();
    for (const g of a.gates) {
      const line = `  ${gateWords(g.gate).label.padEnd(16)} asked ${t(g.askedAt)}, ${g.decidedAt !== undefined ? `decided ${t(g.decidedAt)} (${g.decision})` : 'NOT decided'}; ${g.approvers.join(', ')}`;
      gateLines.set(line, (gateLines.get(line) ?? 0) + 1);
    }
    for (const [line, n] of gateLines) lines.push(n > 1 ? `${line} (x${n} servers)` : line);
    lines.push(`  cutover launch   ${t(a.cutoverLaunchAt)}${a.cutoverLaunchedAt !== undefined ? `, launched ${t(a.cutoverLaunchedAt)}` : ''}${a.fitsWindow === null ? '' : a.fitsWindow ? ': fits the window' : ': MISSES the window'}`);
    lines.push(`  test instances   ${a.testInstanceHours} h, about $${a.ec2CostUsd.toFixed(2)}`);
  }
  lines.push('');
  lines.push(`MGN job quotas: peak ${f.quotas.peakJobs} of ${f.quotas.jobQuota} jobs, ${f.quotas.peakServersInJobs} of ${f.quotas.serversInJobsQuota} servers in jobs; at most ${f.quotas.peakWaitingAtLaunchPoints} server(s) waiting at a launch point at once`);
  lines.push(`approvals per day: ${Object.entries(f.approvals.perDay).map(([d, n]) => `${d} ${n}`).join(', ') || 'none'}`);
  lines.push(`approvals per approver: ${Object.entries(f.approvals.perApprover).map(([p, n]) => `${p} ${n}`).join(', ') || 'none'}`);
  lines.push(`test instances: ${f.testInstanceHours} h, about $${f.ec2CostUsd.toFixed(2)} of EC2`);
  lines.push('');
  if (f.risks.length === 0) lines.push('nothing would break');
  else {
    lines.push(`what would break (${f.risks.length}):`);
    for (const r of f.risks) lines.push(`  - ${r.message}`);
  }
  lines.push('');
  lines.push(`assumptions: ${f.assumptions.join('; ')}`);
  lines.push(`rehearsed in ${f.wallSeconds} s of wall time: ${f.transitions} state transitions, ${f.mgnCalls} MGN requests`);
  return lines.join('\n');
}

/**
 * `--from-stage`: the account's source servers, read only (DescribeSourceServers, paged), restricted to the
 * ones the wave names (a hostname or an id). Every name the account does not have is an error that says so.
 */
export async function readAccountServers(
  waveFile: string,
  account: { region?: string; profile?: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } },
): Promise<SeedSpec[]> {
  const file = resolve(waveFile);
  const parsed = parseWaveFile(readFileSync(file, 'utf8'), file);
  const refs = [...parsed.applications.flatMap((a) => a.servers), ...parsed.servers].map((s) => s.ref);
  const { MgnClient, DescribeSourceServersCommand } = await import('@aws-sdk/client-mgn');
  if (account.profile) process.env.AWS_PROFILE = account.profile;
  const mgn = new MgnClient({ ...(account.region ? { region: account.region } : {}), ...(account.endpoint ? { endpoint: account.endpoint } : {}), ...(account.credentials ? { credentials: account.credentials } : {}) });
  const all: Parameters<typeof seedSpecFromMgn>[0][] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await mgn.send(new DescribeSourceServersCommand({ filters: { isArchived: false }, maxResults: 200, ...(nextToken ? { nextToken } : {}) }));
      all.push(...((page.items ?? []) as Parameters<typeof seedSpecFromMgn>[0][]));
      nextToken = page.nextToken;
    } while (nextToken);
  } finally {
    mgn.destroy();
  }
  const byId = new Map(all.map((s) => [s.sourceServerID, s]));
  const byHost = new Map(all.map((s) => [s.sourceProperties?.identificationHints?.hostname?.toLowerCase(), s]));
  const missing: string[] = [];
  const specs: SeedSpec[] = [];
  for (const ref of refs) {
    const s = byId.get(ref) ?? byHost.get(ref.toLowerCase());
    if (!s) missing.push(ref);
    else specs.push(seedSpecFromMgn(s));
  }
  if (missing.length) {
    throw new Error(`${file}: ${missing.length} server(s) the wave names are not among the account's ${all.length} source servers (not archived): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}; use a hostname or id that DescribeSourceServers lists`);
  }
  return specs;
}

/** `4h`, `30m`, `2d`, `90s`, `1h30m` as ms. */
export function parseDuration(text: string): number {
  const t = text.trim();
  const re = /(\d+(?:\.\d+)?)\s*(d|h|m|s)/gy;
  let ms = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    ms += Number(m[1]) * { d: DAY, h: HOUR, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'];
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== t.length) throw new Error(`${text}: give a duration such as 4h, 30m, 2d or 1h30m`);
  return ms;
}
