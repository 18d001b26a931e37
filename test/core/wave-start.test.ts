import { describe, expect, it } from 'vitest';
import { MgnWaveNotFoundError, WaveHeldError, WaveNotScheduledError, WaveStartTimeError } from '../../src/core/errors.ts';
import { WaveInvalidError } from '../../src/core/wave.ts';
import { WaveFileError, type Wave } from '../../src/core/wave-file.ts';
import { cancelWaveSchedule, loadWave, mgnWaveSource, scheduledWaves, scheduleWave, startInstant, startWave, waveFileSource, type StartWaveDeps } from '../../src/core/wave-start.ts';
import type { ExecutionPort, ExecutionStatus, MgnPlanItem, ServerOutcome, WaveSchedules } from '../../src/ports.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';

const A = 's-00000000000000aa1';
const B = 's-00000000000000bb2';
const WAVE_FILE = `version: 1\nwave: { name: w1, timeZone: Europe/Berlin }\napplications:\n  - { name: web, servers: [${A}, ${B}] }\n`;

/** The wave machine's executions in memory: `status` of an execution by name. */
function fakeRuns(status: Record<string, ExecutionStatus> = {}): ExecutionPort & { started: string[] } {
  const started: string[] = [];
  const arnFor = (name: string) => `arn:aws:states:eu-central-1:111122223333:execution:wave:${name}`;
  return {
    started,
    arnFor,
    describe: async (arn) => {
      const s = status[arn.split(':').pop() as string];
      return s ? { status: s } : undefined;
    },
    start: async (name) => {
      started.push(name);
      status[name] = 'RUNNING';
      return { executionArn: arnFor(name), started: true, status: 'RUNNING' };
    },
    stop: async () => undefined,
  };
}

function setup(opts: { running?: ServerOutcome[]; runs?: Record<string, ExecutionStatus>; plan?: { waves: MgnPlanItem[]; applications: MgnPlanItem[] } } = {}) {
  const base = fakeDeps({ start: '2026-11-01T00:00:00.000Z' });
  base.mgn.addServer(serverView(A, { applicationId: 'app-1' }));
  base.mgn.addServer(serverView(B, { applicationId: 'app-1' }));
  const stored: Wave[] = [];
  const runs = fakeRuns(opts.runs);
  const deps = {
    ...base,
    quotas: { mgnLimits: async () => ({ replicatingServers: 150, serversPerApplication: 200 }) },
    waves: { putDefinition: async (w: Wave) => void stored.push(w), runningOutcomes: async () => opts.running ?? [] },
    executions: { describe: async () => ({ status: 'RUNNING' as const }) },
    mgnPlan: { listWaves: async () => opts.plan?.waves ?? [], listApplications: async () => opts.plan?.applications ?? [] },
    waveRuns: runs,
  } as unknown as StartWaveDeps;
  return { deps, stored, runs };
}

describe('loadWave', () => {
  it('reads a wave file against MGN as it is now', async () => {
    const { deps } = setup();
    const wave = await loadWave(deps, waveFileSource(WAVE_FILE, 'w1.yaml'));
    expect(wave.applications.map((a) => [a.name, a.servers.map((s) => s.id)])).toEqual([['web', [A, B]]]);
  });

  it('refuses a wave file naming a server MGN does not know, with WaveFileError', async () => {
    const { deps } = setup();
    await expect(loadWave(deps, waveFileSource(WAVE_FILE.replace(B, 's-00000000000000cc3'), 'w1.yaml'))).rejects.toBeInstanceOf(WaveFileError);
  });

  it("reads MGN's own wave by name: its applications that are not archived, and their servers", async () => {
    const plan = {
      waves: [{ id: 'wave-1', arn: 'arn:wave-1', name: 'Wave 1', isArchived: false }],
      applications: [
        { id: 'app-1', arn: 'arn:app-1', name: 'web', isArchived: false, waveId: 'wave-1' },
        { id: 'app-2', arn: 'arn:app-2', name: 'old', isArchived: true, waveId: 'wave-1' },
      ],
    };
    const { deps } = setup({ plan });
    const wave = await loadWave(deps, mgnWaveSource('Wave 1'));
    expect(wave.source).toEqual({ kind: 'mgn', waveId: 'wave-1', name: 'Wave 1' });
    expect(wave.applications.map((a) => a.name)).toEqual(['web']);
  });

  it("throws MgnWaveNotFoundError naming MGN's waves when it has no such wave", async () => {
    const { deps } = setup({ plan: { waves: [{ id: 'wave-1', arn: 'arn:wave-1', name: 'Wave 1', isArchived: false }], applications: [] } });
    await expect(loadWave(deps, mgnWaveSource('Wave 9'))).rejects.toThrow(MgnWaveNotFoundError);
    await expect(loadWave(deps, mgnWaveSource('Wave 9'))).rejects.toThrow('its waves: Wave 1 (wave-1)');
  });

  it("throws WaveInvalidError when MGN's wave is over MGN's quotas", async () => {
    const { deps } = setup({ plan: { waves: [{ id: 'wave-1', arn: 'arn:wave-1', name: 'Wave 1', isArchived: false }], applications: [{ id: 'app-1', arn: 'arn:app-1', name: 'web', isArchived: false, waveId: 'wave-1' }] } });
    deps.quotas = { mgnLimits: async () => ({ replicatingServers: 150, serversPerApplication: 1 }) } as unknown as StartWaveDeps['quotas'];
    await expect(loadWave(deps, mgnWaveSource('wave-1'))).rejects.toBeInstanceOf(WaveInvalidError);
  });
});

describe('startWave', () => {
  it('stores the wave, runs beforeStart, and starts <wave>-1', async () => {
    const { deps, stored, runs } = setup();
    const seen: string[] = [];
    const r = await startWave(deps, waveFileSource(WAVE_FILE, 'w1.yaml'), { beforeStart: async (w) => void seen.push(`${w.name} stored: ${stored.length}`) });
    expect(r).toMatchObject({ execution: 'w1-1', started: true });
    expect(seen).toEqual(['w1 stored: 1']);
    expect(runs.started).toEqual(['w1-1']);
  });

  it('attaches to the running execution and starts nothing twice; after a finished one it starts the next number', async () => {
    const running = setup({ runs: { 'w1-1': 'SUCCEEDED', 'w1-2': 'RUNNING' } });
    expect(await startWave(running.deps, waveFileSource(WAVE_FILE, 'w1.yaml'))).toMatchObject({ execution: 'w1-2', started: false });
    expect(running.runs.started).toEqual([]);
    const done = setup({ runs: { 'w1-1': 'FAILED' } });
    expect(await startWave(done.deps, waveFileSource(WAVE_FILE, 'w1.yaml'))).toMatchObject({ execution: 'w1-2', started: true });
  });

  it('refuses a wave whose server another running wave has, with WaveHeldError, and stores nothing', async () => {
    const other: ServerOutcome = { wave: 'w0', serverId: A, application: 'web', attempt: 1, executionArn: 'arn:x', waveRun: 'w0-1', status: 'RUNNING', at: '2026-10-31T00:00:00.000Z' };
    const { deps, stored, runs } = setup({ running: [other] });
    await expect(startWave(deps, waveFileSource(WAVE_FILE, 'w1.yaml'))).rejects.toBeInstanceOf(WaveHeldError);
    expect(stored).toEqual([]);
    expect(runs.started).toEqual([]);
  });
});

describe('startInstant and scheduleWave', () => {
  const wave = { name: 'w1', timeZone: 'Europe/Berlin', cutoverWindow: { start: '2026-12-05T01:00:00.000Z', end: '2026-12-05T05:00:00.000Z', timeZone: 'Europe/Berlin' } } as Wave;
  const now = new Date('2026-12-01T00:00:00.000Z');

  it("resolves a local time in the wave's zone", () => {
    expect(startInstant(wave, '2026-12-05T02:00', { now }).when.toISOString()).toBe('2026-12-05T01:00:00.000Z');
    expect(startInstant(wave, '2026-12-05T02:00', { now, timeZone: 'UTC' }).when.toISOString()).toBe('2026-12-05T02:00:00.000Z');
  });

  it('refuses a time in the past or after the cutover window ends, the time as given first', () => {
    expect(() => startInstant(wave, '2026-11-30T02:00', { now })).toThrow(WaveStartTimeError);
    expect(() => startInstant(wave, '2026-12-05T06:00', { now })).toThrow(/^2026-12-05T06:00 Europe\/Berlin is after the wave's cutover window ends/);
  });

  it('stores the wave, then schedules it', async () => {
    const order: string[] = [];
    const none = () => Promise.reject(new Error('not expected'));
    const schedules: WaveSchedules = { create: async (s) => (order.push(`schedule ${s.wave} ${s.when.toISOString()} ${s.local}`), { executionName: 'w1-at-x', expression: 'at(x)' }), cancel: none, pending: none, fired: none };
    const waves = { putDefinition: async (w: Wave) => void order.push(`store ${w.name}`) };
    const r = await scheduleWave({ waves: waves as never, schedules }, wave, new Date('2026-12-05T01:00:00.000Z'), '2026-12-05T02:00 Europe/Berlin');
    expect(r.executionName).toBe('w1-at-x');
    expect(order).toEqual(['store w1', 'schedule w1 2026-12-05T01:00:00.000Z 2026-12-05T02:00 Europe/Berlin']);
  });
});

describe('scheduledWaves and cancelWaveSchedule', () => {
  const none = () => Promise.reject(new Error('not expected'));

  it('lists pending, disabled and fired schedules in time order, in each wave\'s zone (UTC when it is not stored)', async () => {
    const schedules: WaveSchedules = {
      create: none,
      cancel: none,
      pending: async () => [
        { wave: 'w2', when: new Date('2026-12-06T01:00:00.000Z'), execution: 'w2-at-20261206t010000', enabled: true },
        { wave: 'w3', when: new Date('2026-12-07T01:00:00.000Z'), execution: 'w3-at-20261207t010000', enabled: false },
      ],
      fired: async () => [{ wave: 'w1', when: new Date('2026-12-05T01:00:00.000Z'), execution: 'w1-at-20261205t010000', status: 'SUCCEEDED' }],
    };
    const waves = { getDefinition: async (name: string) => (name === 'w1' ? ({ name, timeZone: 'Europe/Berlin' } as Wave) : undefined) };
    const rows = await scheduledWaves({ waves: waves as never, schedules });
    expect(rows.map((r) => [r.wave, r.state, r.timeZone, r.local.slice(0, 16), r.executionStatus])).toEqual([
      ['w1', 'fired', 'Europe/Berlin', '2026-12-05T02:00', 'SUCCEEDED'],
      ['w2', 'pending', 'UTC', '2026-12-06T01:00', undefined],
      ['w3', 'disabled', 'UTC', '2026-12-07T01:00', undefined],
    ]);
  });

  it('throws WaveNotScheduledError for a wave without a schedule', async () => {
    const schedules = { cancel: async (wave: string) => wave === 'w1' };
    await expect(cancelWaveSchedule({ schedules }, 'w1')).resolves.toBeUndefined();
    await expect(cancelWaveSchedule({ schedules }, 'w2')).rejects.toBeInstanceOf(WaveNotScheduledError);
  });
});
