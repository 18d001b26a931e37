import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeServerLifeCycleStateCommand,
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  type Job,
  MgnClient,
  type MgnServiceException,
  RetryDataReplicationCommand,
  StartCutoverCommand,
  StartTestCommand,
  TagResourceCommand,
} from '@aws-sdk/client-mgn';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type MgnEvent, UsageError, parseFaultsArg, startEmulator } from '../../../src/local/emulator/index.ts';
import { MgnEngine } from '../../../src/local/emulator/engine.ts';
import { HOURS, type TestEmulator, control, useEmulator } from '../../helpers/emulator.ts';

const GiB = 1024 ** 3;
const STALLED_CHANGE = 'MGN Source Server Data Replication Stalled Change';
const LAUNCH_RESULT = 'MGN Source Server Launch Result';

const DEFAULT_FAULTS = {
  throttleRate: 0,
  internalErrorRate: 0,
  errorAfterCommitRate: 0,
  launchFailRate: 0,
  stallRate: 0,
  stallRecoverAfterS: 600,
  eventDropRate: 0,
  eventDupRate: 0,
  eventReorderWindowS: 0,
  slowLaunchRate: 0,
  slowLaunchMinS: 600,
  slowLaunchMaxS: 21600,
};

interface LoggedRequest {
  seq: number;
  operation: string;
  invocationId?: string;
  attempt: number;
  status: number;
  errorType?: string;
  fault?: string;
}
interface DeliveredEvent {
  event: MgnEvent;
  emittedAt: number;
  deliveredAt: number;
  fault?: string;
}

/** The real SDK client with its standard retry rules (3 attempts) but no backoff sleep, so tests stay fast. */
function fastRetryClient(endpoint: string): MgnClient {
  return new MgnClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    retryStrategy: new ConfiguredRetryStrategy(3, 0),
  });
}

async function requests(endpoint: string, operation?: string): Promise<LoggedRequest[]> {
  return (await control<{ requests: LoggedRequest[] }>(endpoint, `/requests${operation ? `?operation=${operation}` : ''}`)).body.requests;
}

async function delivered(endpoint: string): Promise<{ events: DeliveredEvent[]; dropped: number }> {
  return (await control<{ events: DeliveredEvent[]; dropped: number }>(endpoint, '/events')).body;
}

async function caught(p: Promise<unknown>): Promise<MgnServiceException> {
  try {
    await p;
  } catch (err) {
    return err as MgnServiceException;
  }
  throw new Error('expected the call to fail');
}

async function jobs(mgn: MgnClient): Promise<Job[]> {
  return (await mgn.send(new DescribeJobsCommand({}))).items ?? [];
}

const ofType = (events: MgnEvent[], type: string) => events.filter((e) => e['detail-type'] === type);

describe('parseFaultsArg', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgn-faults-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses inline JSON and fills every other knob with its default', () => {
    expect(parseFaultsArg('{"throttleRate":0.1,"stallRecoverAfterS":30}')).toEqual({
      ...DEFAULT_FAULTS,
      throttleRate: 0.1,
      stallRecoverAfterS: 30,
    });
    expect(parseFaultsArg('  {}  ')).toEqual(DEFAULT_FAULTS);
  });

  it('reads a JSON file when given a path', () => {
    const file = join(dir, 'faults.json');
    writeFileSync(file, JSON.stringify({ launchFailRate: 1, eventReorderWindowS: 120 }));
    expect(parseFaultsArg(file)).toEqual({ ...DEFAULT_FAULTS, launchFailRate: 1, eventReorderWindowS: 120 });
  });

  it('refuses an unknown key and lists the allowed ones', () => {
    const err = (() => {
      try {
        parseFaultsArg('{"throttelRate":0.1}');
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a UsageError');
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain('throttelRate');
    expect(err.message).toContain(`Allowed keys: ${Object.keys(DEFAULT_FAULTS).join(', ')}`);
  });

  it('refuses a rate outside 0..1 and a negative time, naming the key', () => {
    expect(() => parseFaultsArg('{"launchFailRate":1.5}')).toThrow(UsageError);
    expect(() => parseFaultsArg('{"launchFailRate":1.5}')).toThrow(/launchFailRate/);
    expect(() => parseFaultsArg('{"eventDropRate":-0.1}')).toThrow(/eventDropRate/);
    expect(() => parseFaultsArg('{"stallRecoverAfterS":-1}')).toThrow(/stallRecoverAfterS/);
    expect(() => parseFaultsArg('{"throttleRate":"high"}')).toThrow(/throttleRate/);
  });

  it('refuses text that is not JSON, inline or in a file, and a path that does not exist', () => {
    expect(() => parseFaultsArg('{"throttleRate":}')).toThrow(UsageError);
    expect(() => parseFaultsArg('{"throttleRate":}')).toThrow(/inline JSON: not valid JSON/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'throttleRate: 0.1\n');
    expect(() => parseFaultsArg(bad)).toThrow(new RegExp(`${bad}: not valid JSON`));
    expect(() => parseFaultsArg(join(dir, 'missing.json'))).toThrow(/no such file/);
  });
});

describe('/_emulator/faults', () => {
  const start = useEmulator();

  async function faultsRoute(endpoint: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', body?: string) {
    const res = await fetch(`${endpoint}/_emulator/faults`, {
      method,
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('returns the faults the emulator started with', async () => {
    const { emu } = await start({ faults: { launchFailRate: 0.25 } });
    expect(await faultsRoute(emu.endpoint, 'GET')).toEqual({ status: 200, body: { ...DEFAULT_FAULTS, launchFailRate: 0.25 } });
  });

  it('merges on POST and replaces on PUT', async () => {
    const { emu } = await start();
    await faultsRoute(emu.endpoint, 'POST', JSON.stringify({ throttleRate: 0.5 }));
    const merged = await faultsRoute(emu.endpoint, 'POST', JSON.stringify({ launchFailRate: 1 }));
    expect(merged).toEqual({ status: 200, body: { ...DEFAULT_FAULTS, throttleRate: 0.5, launchFailRate: 1 } });
    const replaced = await faultsRoute(emu.endpoint, 'PUT', JSON.stringify({ eventDupRate: 1 }));
    expect(replaced).toEqual({ status: 200, body: { ...DEFAULT_FAULTS, eventDupRate: 1 } });
    expect((await faultsRoute(emu.endpoint, 'GET')).body).toEqual({ ...DEFAULT_FAULTS, eventDupRate: 1 });
  });

  it('answers 400 and keeps the current faults when the body is invalid', async () => {
    const { emu } = await start({ faults: { stallRate: 0.5 } });
    const cases: ['POST' | 'PUT', string, RegExp][] = [
      ['POST', JSON.stringify({ bogus: 1 }), /bogus/],
      ['POST', JSON.stringify({ throttleRate: 2 }), /throttleRate/],
      ['PUT', JSON.stringify({ stallRecoverAfterS: -5 }), /stallRecoverAfterS/],
      ['PUT', JSON.stringify({ eventDupRate: 'often' }), /eventDupRate/],
      ['POST', '{not json', /JSON object/],
      ['PUT', '[0.5]', /JSON object/],
    ];
    for (const [method, body, message] of cases) {
      const r = await faultsRoute(emu.endpoint, method, body);
      expect(r.status, `${method} ${body}`).toBe(400);
      expect(String(r.body.message)).toMatch(message);
    }
    expect((await faultsRoute(emu.endpoint, 'POST', JSON.stringify({ bogus: 1 }))).body.message).toContain('allowed keys');
    expect((await faultsRoute(emu.endpoint, 'DELETE')).status).toBe(405);
    expect((await faultsRoute(emu.endpoint, 'GET')).body).toEqual({ ...DEFAULT_FAULTS, stallRate: 0.5 });
  });
});

describe('emulator fault knobs', () => {
  const start = useEmulator();
  const extra: { emu: TestEmulator; mgn: MgnClient }[] = [];
  afterEach(async () => {
    while (extra.length) {
      const r = extra.pop();
      r?.mgn.destroy();
      await r?.emu.close();
    }
  });

  it('throttleRate 1: every call is throttled and the SDK gives up with ThrottlingException after its 3 attempts', async () => {
    const { emu, ids } = await start({ servers: 2, start: 'ready-for-test' });
    const servers = await ids();
    emu.setFaults({ throttleRate: 1 });
    const mgn = fastRetryClient(emu.endpoint);
    extra.push({ emu, mgn });

    const err = await caught(mgn.send(new StartTestCommand({ sourceServerIDs: servers })));
    expect(err.name).toBe('ThrottlingException');
    expect(err.$metadata).toMatchObject({ httpStatusCode: 429, attempts: 3 });
    const log = await requests(emu.endpoint, 'StartTest');
    expect(log.map((r) => [r.attempt, r.status, r.errorType, r.fault])).toEqual([
      [1, 429, 'ThrottlingException', 'throttle'],
      [2, 429, 'ThrottlingException', 'throttle'],
      [3, 429, 'ThrottlingException', 'throttle'],
    ]);
    expect(new Set(log.map((r) => r.invocationId)).size).toBe(1);

    // nothing happened: no job, no CloudTrail record of the refused call
    await control(emu.endpoint, '/faults', { throttleRate: 0 });
    expect(await jobs(mgn)).toEqual([]);
    expect((await delivered(emu.endpoint)).events).toEqual([]);
  });

  it('internalErrorRate 1: every call fails with InternalServerException after retries and changes nothing', async () => {
    const { emu, ids } = await start({ servers: 2, start: 'ready-for-test' });
    const servers = await ids();
    emu.setFaults({ internalErrorRate: 1 });
    const mgn = fastRetryClient(emu.endpoint);
    extra.push({ emu, mgn });

    const err = await caught(mgn.send(new StartTestCommand({ sourceServerIDs: servers })));
    expect(err.name).toBe('InternalServerException');
    expect(err.$fault).toBe('server');
    expect(err.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 3 });
    expect((await requests(emu.endpoint, 'StartTest')).map((r) => r.fault)).toEqual(['internalError', 'internalError', 'internalError']);

    emu.setFaults({ internalErrorRate: 0 });
    expect(await jobs(mgn)).toEqual([]);
    const states = (await mgn.send(new DescribeSourceServersCommand({}))).items?.map((s) => s.lifeCycle?.state);
    expect(states).toEqual(['READY_FOR_TEST', 'READY_FOR_TEST']);
  });

  it('errorAfterCommitRate 1: StartTest fails on the wire after creating the job, the SDK retry gets ConflictException, and only one job exists', async () => {
    const { emu, events, advance, ids } = await start({ servers: 2, start: 'ready-for-test' });
    const servers = await ids();
    emu.setFaults({ errorAfterCommitRate: 1 });
    const mgn = fastRetryClient(emu.endpoint);
    extra.push({ emu, mgn });

    const err = await caught(mgn.send(new StartTestCommand({ sourceServerIDs: servers })));
    expect(err.name).toBe('ConflictException');
    expect(err.$metadata).toMatchObject({ httpStatusCode: 409, attempts: 2 });
    expect((await requests(emu.endpoint, 'StartTest')).map((r) => [r.attempt, r.status, r.errorType, r.fault])).toEqual([
      [1, 500, 'InternalServerException', 'errorAfterCommit'],
      [2, 409, 'ConflictException', undefined],
    ]);
    const logical = (await control<{ calls: Record<string, unknown>[] }>(emu.endpoint, '/requests?operation=StartTest&logical=1')).body.calls;
    expect(logical).toEqual([
      expect.objectContaining({ operation: 'StartTest', attempts: 2, status: 409, errorType: 'ConflictException', faults: ['errorAfterCommit'] }),
    ]);

    // the state shows the first attempt took effect exactly once
    emu.setFaults({ errorAfterCommitRate: 0 });
    const [only, ...more] = await jobs(mgn);
    expect(more).toEqual([]);
    expect(only).toMatchObject({ type: 'LAUNCH', initiatedBy: 'START_TEST' });
    expect(only?.participatingServers?.map((p) => p.sourceServerID).sort()).toEqual([...servers].sort());
    await advance(2 * HOURS);
    const [done] = await jobs(mgn);
    expect(done?.status).toBe('COMPLETED');
    expect(done?.participatingServers?.map((p) => p.launchStatus)).toEqual(['LAUNCHED', 'LAUNCHED']);
    expect(ofType(events, LAUNCH_RESULT).map((e) => e.detail['job-id'])).toEqual([only?.jobID, only?.jobID]);
  });

  it('launchFailRate 1: every test and cutover launch fails', async () => {
    const { emu, mgn, events, advance, ids } = await start({ servers: 3, start: 'ready-for-test', faults: { launchFailRate: 1 } });
    const servers = await ids();

    const test = (await mgn.send(new StartTestCommand({ sourceServerIDs: servers }))).job as Job;
    await advance(2 * HOURS);
    for (const id of servers) {
      await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    }
    const cutover = (await mgn.send(new StartCutoverCommand({ sourceServerIDs: servers }))).job as Job;
    await advance(2 * HOURS);

    for (const j of [test, cutover]) {
      const [described] = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [j.jobID as string] } }))).items ?? [];
      expect(described?.status).toBe('COMPLETED');
      expect(described?.participatingServers?.map((p) => p.launchStatus)).toEqual(['FAILED', 'FAILED', 'FAILED']);
      const log = (await mgn.send(new DescribeJobLogItemsCommand({ jobID: j.jobID }))).items ?? [];
      const failures = log.filter((l) => l.event === 'CONVERSION_FAIL' || l.event === 'LAUNCH_FAILED');
      expect(failures.map((l) => l.eventData?.sourceServerID).sort()).toEqual([...servers].sort());
    }
    expect(ofType(events, LAUNCH_RESULT).map((e) => e.detail.state).sort()).toEqual([
      'CUTOVER_LAUNCH_FAILED',
      'CUTOVER_LAUNCH_FAILED',
      'CUTOVER_LAUNCH_FAILED',
      'TEST_LAUNCH_FAILED',
      'TEST_LAUNCH_FAILED',
      'TEST_LAUNCH_FAILED',
    ]);
    const after = (await mgn.send(new DescribeSourceServersCommand({}))).items ?? [];
    expect(after.map((s) => s.launchedInstance)).toEqual([undefined, undefined, undefined]);
    expect(emu.engine.jobs.size).toBe(2);
  });

  it('slowLaunchRate: a seeded share of launches converts or boots late, with a tail past the plan\'s launch and verify timeouts', async () => {
    // the draw: the same per seed, server and launch; about the rate's share slow; some past 3 h (launchTimeoutSeconds)
    const draws = (seed: number) => {
      const engine = new MgnEngine({ seed, servers: 40, start: 'ready-for-test', faults: { slowLaunchRate: 0.5 } });
      return [...engine.servers.values()].flatMap((s) => [1, 2, 3].map((n) => engine.slowLaunch(s, n)));
    };
    const a = draws(7);
    expect(draws(7)).toEqual(a);
    expect(draws(8)).not.toEqual(a);
    const slow = a.filter((d) => d !== undefined);
    expect(slow.length).toBeGreaterThan(40);
    expect(slow.length).toBeLessThan(80);
    expect(new Set(slow.map((d) => d.phase))).toEqual(new Set(['conversion', 'boot']));
    expect(slow.every((d) => d.extraMs >= 600_000 && d.extraMs <= 6 * HOURS * 1000)).toBe(true);
    expect(slow.some((d) => d.extraMs > 3 * HOURS * 1000)).toBe(true);

    // on the wire: a slow conversion keeps the launch IN_PROGRESS past 3 h; a slow boot keeps firstBoot WAITING past 2 h
    const { emu, mgn, advance, ids } = await start({ servers: 2, start: 'ready-for-test', faults: { slowLaunchRate: 1, slowLaunchMinS: 4 * HOURS, slowLaunchMaxS: 4 * HOURS } });
    const servers = await ids();
    // which phase each server's first launch was drawn for (the emulator's own draw)
    const phases = new Map([...emu.engine.servers.values()].map((s) => [s.id, emu.engine.slowLaunch(s, 1)?.phase]));
    const job = (await mgn.send(new StartTestCommand({ sourceServerIDs: servers }))).job as Job;
    await advance(3 * HOURS);
    const described = async () => (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [job.jobID as string] } }))).items?.[0];
    const byServer = async () => new Map(((await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: servers } }))).items ?? []).map((s) => [s.sourceServerID, s]));
    let after3h = await described();
    let view = await byServer();
    for (const id of servers) {
      const p = after3h?.participatingServers?.find((x) => x.sourceServerID === id);
      if (phases.get(id) === 'conversion') expect(p?.launchStatus).toBe('IN_PROGRESS');
      else expect({ launch: p?.launchStatus, boot: view.get(id)?.launchedInstance?.firstBoot }).toEqual({ launch: 'LAUNCHED', boot: 'WAITING' });
    }
    await advance(2 * HOURS);
    after3h = await described();
    view = await byServer();
    expect(after3h?.status).toBe('COMPLETED');
    expect(after3h?.participatingServers?.map((p) => p.launchStatus)).toEqual(['LAUNCHED', 'LAUNCHED']);
    expect(servers.map((id) => view.get(id)?.launchedInstance?.firstBoot)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('stallRate 1: every server stalls once and recovers by itself stallRecoverAfterS later', async () => {
    const { mgn, events, all, advance, ids } = await start({
      servers: 4,
      bandwidthBytesPerS: 1 * GiB,
      faults: { stallRate: 1, stallRecoverAfterS: 1800 },
    });
    const servers = await ids();
    const seenStalled = new Map<string, { error?: string; nextAttempt?: string }>();
    for (let step = 0; step < 12 * 6; step++) {
      await advance(600);
      for (const s of await all()) {
        const info = s.dataReplicationInfo;
        if (info?.dataReplicationState === 'STALLED' && !seenStalled.has(s.sourceServerID as string)) {
          seenStalled.set(s.sourceServerID as string, {
            error: info.dataReplicationError?.error,
            nextAttempt: info.dataReplicationInitiation?.nextAttemptDateTime,
          });
        }
      }
    }
    expect([...seenStalled.keys()].sort()).toEqual([...servers].sort());
    for (const seen of seenStalled.values()) {
      expect(seen.error).toMatch(/^(FAILED_TO_[A-Z_]+|UNSTABLE_NETWORK|SNAPSHOTS_FAILURE)$/);
      expect(seen.nextAttempt).toBeDefined();
    }
    for (const id of servers) {
      const changes = ofType(events, STALLED_CHANGE).filter((e) => e.resources[0]?.endsWith(`/${id}`));
      expect(changes.map((e) => e.detail.state)).toEqual(['STALLED', 'NOT_STALLED']);
      const [stalled, recovered] = changes as [MgnEvent, MgnEvent];
      expect((Date.parse(recovered.time) - Date.parse(stalled.time)) / 1000).toBe(1800);
      // the announced next attempt is when it recovered (event times have whole seconds)
      const next = Date.parse(seenStalled.get(id)?.nextAttempt as string);
      expect(Math.floor(next / 1000) * 1000).toBe(Date.parse(recovered.time));
    }
    const end = (await mgn.send(new DescribeSourceServersCommand({}))).items ?? [];
    expect(end.map((s) => [s.dataReplicationInfo?.dataReplicationState, s.lifeCycle?.state])).toEqual(
      servers.map(() => ['CONTINUOUS', 'READY_FOR_TEST']),
    );
  });

  it('stallRecoverAfterS 0: a stalled server stays STALLED until RetryDataReplication', async () => {
    const { mgn, all, advance, ids } = await start({
      servers: 2,
      bandwidthBytesPerS: 1 * GiB,
      faults: { stallRate: 1, stallRecoverAfterS: 0 },
    });
    await advance(24 * HOURS);
    const stuck = await all();
    expect(stuck.map((s) => s.dataReplicationInfo?.dataReplicationState)).toEqual(['STALLED', 'STALLED']);
    expect(stuck.map((s) => s.dataReplicationInfo?.dataReplicationInitiation?.nextAttemptDateTime)).toEqual([undefined, undefined]);
    for (const id of await ids()) await mgn.send(new RetryDataReplicationCommand({ sourceServerID: id }));
    await advance(24 * HOURS);
    expect((await all()).map((s) => s.dataReplicationInfo?.dataReplicationState)).toEqual(['CONTINUOUS', 'CONTINUOUS']);
  });

  it('eventDropRate 1: no event is delivered and each one is counted as dropped', async () => {
    const { emu, mgn, events, advance, ids } = await start({ servers: 2, start: 'ready-for-test', faults: { eventDropRate: 1 } });
    await mgn.send(new StartTestCommand({ sourceServerIDs: await ids() }));
    await advance(2 * HOURS);
    expect((await jobs(mgn))[0]?.participatingServers?.map((p) => p.launchStatus)).toEqual(['LAUNCHED', 'LAUNCHED']);
    expect(events).toEqual([]);
    // one CloudTrail record for StartTest and one launch result per server were emitted, and all dropped
    expect(await delivered(emu.endpoint)).toEqual({ events: [], dropped: 3 });
  });

  it('eventDupRate 1: every event is delivered twice with the same id', async () => {
    const { emu, mgn, events, advance, ids } = await start({ servers: 2, start: 'ready-for-test', faults: { eventDupRate: 1 } });
    await mgn.send(new StartTestCommand({ sourceServerIDs: await ids() }));
    await advance(2 * HOURS);
    expect(events).toHaveLength(6);
    const byId = new Map<string, MgnEvent[]>();
    for (const e of events) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
    expect(byId.size).toBe(3);
    for (const copies of byId.values()) {
      expect(copies).toHaveLength(2);
      expect(copies[1]).toEqual(copies[0]);
    }
    const log = await delivered(emu.endpoint);
    expect(log.dropped).toBe(0);
    expect(log.events.map((d) => d.fault)).toEqual([undefined, 'duplicate', undefined, 'duplicate', undefined, 'duplicate']);
  });

  it('eventReorderWindowS: events arrive late, within the window, and some out of emission order', async () => {
    const { emu, mgn, events, advance, ids } = await start({ servers: 1, start: 'ready-for-test', faults: { eventReorderWindowS: 900 } });
    const [id] = (await ids()) as [string];
    const arn = `arn:aws:mgn:us-east-1:111122223333:source-server/${id}`;
    for (let n = 0; n < 12; n++) {
      await mgn.send(new TagResourceCommand({ resourceArn: arn, tags: { n: String(n) } }));
      await advance(60);
    }
    await advance(900);
    const order = events.map((e) => Number((e.detail.requestParameters as { tags: { n: string } }).tags.n));
    expect([...order].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(order).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const log = await delivered(emu.endpoint);
    expect(log.events.map((d) => d.event.id)).toEqual(events.map((e) => e.id));
    for (const d of log.events) {
      expect(d.deliveredAt - d.emittedAt).toBeGreaterThanOrEqual(0);
      expect(d.deliveredAt - d.emittedAt).toBeLessThanOrEqual(900_000);
    }
    expect(log.events.some((d, i) => i > 0 && d.emittedAt < (log.events[i - 1] as DeliveredEvent).emittedAt)).toBe(true);
  });

  describe('determinism', () => {
    const faults = {
      throttleRate: 0.2,
      internalErrorRate: 0.1,
      errorAfterCommitRate: 0.3,
      launchFailRate: 0.4,
      stallRate: 0.5,
      stallRecoverAfterS: 900,
      eventDropRate: 0.2,
      eventDupRate: 0.2,
      eventReorderWindowS: 300,
    };

    /** One fixed sequence of calls; returns what happened with server and job ids replaced by their index. */
    async function run(seed: number) {
      const emu = await startEmulator({ manualClock: true, seed, servers: 6, bandwidthBytesPerS: 1 * GiB, faults });
      const mgn = fastRetryClient(emu.endpoint);
      extra.push({ emu, mgn });
      const ids = [...emu.engine.servers.keys()];
      const ix = (text: string) => ids.reduce((t, id, n) => t.replaceAll(id, `server${n}`), text);
      const outcomes: string[] = [];
      const call = async (label: string, p: Promise<unknown>) => {
        try {
          await p;
          outcomes.push(`${label}: ok`);
        } catch (err) {
          outcomes.push(`${label}: ${(err as Error).name}`);
        }
      };
      const observed: string[] = [];
      for (let step = 0; step < 60; step++) {
        emu.clock.advance(600);
        try {
          const items = (await mgn.send(new DescribeSourceServersCommand({}))).items ?? [];
          observed.push(items.map((s) => `${s.lifeCycle?.state}/${s.dataReplicationInfo?.dataReplicationState}`).join(','));
        } catch (err) {
          observed.push((err as Error).name);
        }
      }
      const ready = [...emu.engine.servers.values()].filter((s) => s.lifeCycle.state === 'READY_FOR_TEST').map((s) => s.id);
      await call('StartTest', mgn.send(new StartTestCommand({ sourceServerIDs: ready })));
      emu.clock.advance(2 * HOURS);
      for (const id of ids) {
        await call('ToCutover', mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } })));
      }
      emu.clock.advance(HOURS);
      const launchStatus = [...emu.engine.jobs.values()].map((j) => j.participants.map((p) => `${ix(p.sourceServerID)}=${p.launchStatus}`).join(','));
      const log = emu.http.log.map((r) => `${r.operation}#${r.attempt}:${r.status}${r.fault ? `:${r.fault}` : ''}`);
      const hub = emu.engine.events;
      const eventLog = hub.delivered.map((d) => {
        const e = d.event;
        const what = e['detail-type'] === 'AWS API Call via CloudTrail' ? String(e.detail.eventName) : ix(JSON.stringify([e.resources, e.detail]));
        return `${e['detail-type']} ${what} @${d.emittedAt}->${d.deliveredAt}${d.fault ? ` ${d.fault}` : ''}`;
      });
      const stalls = ids.map((id) =>
        hub.delivered.filter((d) => d.event['detail-type'] === STALLED_CHANGE && d.event.resources[0]?.endsWith(id)).map((d) => d.event.detail.state),
      );
      return { ids, outcomes, observed, launchStatus, log, eventLog, stalls, dropped: hub.dropped };
    }

    it('gives the same outcomes, stalls, failed launches and fault pattern for the same seed and calls', async () => {
      const first = await run(7);
      const second = await run(7);
      expect(second).toEqual(first);
      // the run exercised the faults it claims to reproduce
      expect(first.log.some((l) => l.endsWith(':throttle'))).toBe(true);
      expect(first.log.some((l) => l.endsWith(':errorAfterCommit'))).toBe(true);
      expect(first.stalls.some((s) => s.length > 0)).toBe(true);
      expect(first.observed.join(',')).toContain('STALLED');
      expect(first.launchStatus.join(',')).toMatch(/FAILED/);
      expect(first.dropped).toBeGreaterThan(0);
      expect(first.eventLog.some((l) => l.endsWith(' duplicate'))).toBe(true);
    });

    it('gives a different fault pattern for a different seed', async () => {
      const a = await run(7);
      const b = await run(8);
      expect(b.ids).not.toEqual(a.ids);
      expect(b.log).not.toEqual(a.log);
      expect(b.eventLog).not.toEqual(a.eventLog);
    });
  });
});
