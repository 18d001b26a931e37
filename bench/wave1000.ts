/**
 * The 1,000-server wave of `npm run bench`, in its own process so that its peak RSS is its own: the demo's
 * whole path (a wave file validated like `mgn-flow wave start`, scheduled through the Scheduler, the wave
 * execution admitting applications, one server-lifecycle execution per server, approvals decided through
 * the links) on the local cloud in discrete-event time. Writes one JSON result to the file given as argv[2].
 *
 * WAVE_SERVERS (1000), WAVE_APPS (5), WAVE_TS (a time scale instead of discrete-event time),
 * WAVE_PROGRESS=1 (a line every 5 s on stderr), WAVE_HEAP_SNAPSHOT=<file> (a heap snapshot once WAVE_HEAP_AT seconds
 * of wall time have passed, 30 by default: what the cloud holds mid-wave).
 */
import { writeFileSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../src/local/demo.ts';
import type { LocalCloud } from '../src/local/cloud/index.ts';
import { writeHeapSnapshot } from 'node:v8';
import { realTimers } from '../src/local/cloud/virtual-timers.ts';
import { transportStats } from '../src/local/cloud/in-process.ts';
import { logicalCalls } from '../src/local/emulator/http.ts';

const resultFile = process.argv[2];
if (!resultFile) throw new Error('usage: bench/wave1000.ts <result.json>');
const servers = Number(process.env.WAVE_SERVERS ?? 1000);
const applications = Number(process.env.WAVE_APPS ?? 5);
const timeScale = process.env.WAVE_TS ? Number(process.env.WAVE_TS) : undefined;
const progress = process.env.WAVE_PROGRESS === '1';

// WAVE_MAX_S: stop after that many seconds and write what was reached (a --cpu-prof profile is still written)
if (process.env.WAVE_MAX_S) {
  setTimeout(() => {
    writeFileSync(resultFile, JSON.stringify({ code: 3, ok: false, finished: false, ...partial() }));
    process.exit(3);
  }, Number(process.env.WAVE_MAX_S) * 1000).unref();
}

/** Where the wave is when it did not finish in time: the emulator's states and the counts so far. */
function partial(): Record<string, unknown> {
  if (!cloud) return { wallS: (performance.now() - wall) / 1000, servers, applications, timeScale: timeScale ?? 'discrete' };
  const c = cloud;
  const states: Record<string, number> = {};
  for (const s of c.emulator.engine.servers.values()) {
    const k = `${s.lifeCycle.state}${s.isArchived ? ' archived' : ''}`;
    states[k] = (states[k] ?? 0) + 1;
  }
  let transitions = 0;
  for (const m of Object.values(c.info.stateMachines)) {
    for (const e of c.host.listExecutions(m)) transitions += c.host.history(e.executionArn).filter((h) => h.type.endsWith('StateEntered')).length;
  }
  return {
    wallS: (performance.now() - wall) / 1000,
    peakRssMb: Math.max(process.resourceUsage().maxRSS / 1024, peakRss / 1024 / 1024),
    servers,
    applications,
    timeScale: timeScale ?? 'discrete',
    states,
    archived: [...c.emulator.engine.servers.values()].filter((s) => s.isArchived).length,
    simulatedHours: Math.round(((c.clock.now() - simStartMs) / 3_600_000) * 100) / 100,
    transitions,
    lambdaInvocations: c.lambda.invocations.length,
    mgnCalls: logicalCalls(c.emulator.http.log).length,
    gateRetries: retries,
    byFunction: byFunction(),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-bench-wave-'));
const summaryFile = join(dir, 'summary.json');
let cloud: LocalCloud | undefined;
let sampler: NodeJS.Timeout | undefined;
let peakRss = 0;
let simStartMs = 0;
let retries = 0;
let heapSnapshot = process.env.WAVE_HEAP_SNAPSHOT;
const wall = performance.now();

/** Lambda invocations and their summed duration, per function. */
function byFunction(): Record<string, { n: number; ms: number }> {
  const out: Record<string, { n: number; ms: number }> = {};
  for (const i of cloud?.lambda.invocations ?? []) {
    const f = (out[i.functionKey] ??= { n: 0, ms: 0 });
    f.n++;
    f.ms = Math.round(f.ms + i.durationMs);
  }
  return out;
}
const code = await runDemo({
  servers,
  applications,
  standalone: 0,
  injectFailure: false,
  canary: process.env.WAVE_CANARY === '1',
  approve: 'auto',
  seed: 7,
  ...(timeScale !== undefined ? { timeScale } : {}),
  json: false,
  summaryFile,
  waveDir: dir,
  out: (line) => {
    if (/FAILURE -> retry/.test(line)) retries++;
    if (progress || /schedule fired|SUCCEEDED|FAILED|does not validate/.test(line)) process.stderr.write(`[${((performance.now() - wall) / 1000).toFixed(1)}s] ${line}\n`);
  },
  onCloud: (c) => {
    cloud = c;
    simStartMs = c.clock.now();
    // wall time: a simulated timer would be one more moment for the discrete clock to jump to
    sampler = realTimers.setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (heapSnapshot && performance.now() - wall > Number(process.env.WAVE_HEAP_AT ?? 30) * 1000) {
        process.stderr.write(`heap snapshot ${writeHeapSnapshot(heapSnapshot)}\n`);
        heapSnapshot = undefined;
      }
      if (!progress || !cloud) return;
      const states: Record<string, number> = {};
      for (const s of cloud.emulator.engine.servers.values()) {
        const k = `${s.lifeCycle.state}${s.isArchived ? '+A' : ''}`;
        states[k] = (states[k] ?? 0) + 1;
      }
      process.stderr.write(`[${((performance.now() - wall) / 1000).toFixed(0)}s] rss ${Math.round(process.memoryUsage().rss / 1e6)}MB lambda ${cloud.lambda.invocations.length} mgn ${cloud.emulator.http.log.length} ${JSON.stringify(states)}\n`);
    }, progress ? 5000 : 500);
    sampler.unref();
  },
});
realTimers.clearInterval(sampler);

const wallS = (performance.now() - wall) / 1000;
const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, unknown> & { perServer: unknown[] };
const { perServer: _perServer, ...totals } = summary;
writeFileSync(
  resultFile,
  JSON.stringify({
    code,
    finished: true,
    gateRetries: retries,
    wallS,
    // CPU of this process (user + system, all threads: GC helpers included)
    cpuS: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    // the kernel's peak for this process (sampled RSS as a floor)
    peakRssMb: Math.max(process.resourceUsage().maxRSS / 1024, peakRss / 1024 / 1024),
    servers,
    applications,
    timeScale: timeScale ?? 'discrete',
    ...totals,
    byFunction: byFunction(),
    requests: transportStats(),
  }),
);
process.exit(0);
