import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ChangeServerLifeCycleStateCommand,
  CreateApplicationCommand,
  CreateWaveCommand,
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeLaunchConfigurationTemplatesCommand,
  DescribeSourceServersCommand,
  GetLaunchConfigurationCommand,
  GetReplicationConfigurationCommand,
  type Job,
  ListApplicationsCommand,
  ListSourceServerActionsCommand,
  ListTagsForResourceCommand,
  ListWavesCommand,
  type MgnClient,
  PauseReplicationCommand,
  ResumeReplicationCommand,
  RetryDataReplicationCommand,
  StartCutoverCommand,
  StartTestCommand,
  TagResourceCommand,
} from '@aws-sdk/client-mgn';
import { afterEach, describe, expect, it } from 'vitest';
import type { MgnEvent } from '../../../src/local/emulator/index.ts';
import { HOURS, control, useEmulator } from '../../helpers/emulator.ts';

const LIFECYCLE = 'MGN Source Server Lifecycle State Change';
const LAUNCH_RESULT = 'MGN Source Server Launch Result';
const STALLED_CHANGE = 'MGN Source Server Data Replication Stalled Change';
const CLOUDTRAIL = 'AWS API Call via CloudTrail';
const GiB = 1024 ** 3;
const ISO_NO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function fixture(name: string): MgnEvent {
  return JSON.parse(readFileSync(new URL(`../../fixtures/mgn-events/${name}.json`, import.meta.url), 'utf8')) as MgnEvent;
}

const ofType = (events: MgnEvent[], type: string) => events.filter((e) => e['detail-type'] === type);
const serverArn = (id: string) => `arn:aws:mgn:us-east-1:111122223333:source-server/${id}`;
const trail = (events: MgnEvent[], op: string) =>
  ofType(events, CLOUDTRAIL).filter((e) => e.detail.eventName === op);

/** The documented envelope of a server event (reference section 10.1) for this emulator's account and Region. */
function expectServerEnvelope(e: MgnEvent, sourceServerID: string): void {
  expect(e.version).toBe('0');
  expect(e.id).toMatch(UUID);
  expect(e.source).toBe('aws.mgn');
  expect(e.account).toBe('111122223333');
  expect(e.region).toBe('us-east-1');
  expect(e.time).toMatch(ISO_NO_MILLIS);
  expect(e.resources).toEqual([serverArn(sourceServerID)]);
}

async function job(mgn: MgnClient, jobID: string): Promise<Job> {
  const r = await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [jobID] } }));
  return r.items?.[0] as Job;
}

const seconds = (iso: string | undefined) => Math.floor(Date.parse(iso as string) / 1000);

describe('emulator EventBridge events', () => {
  const start = useEmulator();

  it('sends Lifecycle State Change {state: READY_FOR_TEST} when a server first reaches READY_FOR_TEST, and never again after a revert', async () => {
    const { emu, mgn, events, all, advance, ids } = await start({ servers: 2, bandwidthBytesPerS: 1 * GiB });
    const servers = await ids();
    expect(ofType(events, LIFECYCLE)).toEqual([]);

    // Step one simulated minute at a time and note when each server is first seen READY_FOR_TEST.
    const seenReadyAt = new Map<string, number>();
    for (let minute = 0; minute < 24 * 60 && seenReadyAt.size < servers.length; minute++) {
      const before = Math.floor(emu.clock.now() / 1000);
      await advance(60);
      for (const s of await all()) {
        if (s.lifeCycle?.state === 'READY_FOR_TEST' && !seenReadyAt.has(s.sourceServerID as string)) {
          seenReadyAt.set(s.sourceServerID as string, before);
        }
      }
    }
    expect(seenReadyAt.size).toBe(2);

    const lifecycle = ofType(events, LIFECYCLE);
    expect(lifecycle).toHaveLength(2);
    for (const id of servers) {
      const [e] = lifecycle.filter((x) => x.resources[0] === serverArn(id));
      expect(e).toBeDefined();
      expectServerEnvelope(e as MgnEvent, id);
      expect(e?.detail).toEqual({ state: 'READY_FOR_TEST' });
      // emitted in the simulated minute in which the server became READY_FOR_TEST
      const t = seconds(e?.time);
      expect(t).toBeGreaterThan(seenReadyAt.get(id) as number);
      expect(t).toBeLessThanOrEqual((seenReadyAt.get(id) as number) + 60);
    }

    // Test, revert to READY_FOR_TEST, skip to READY_FOR_CUTOVER and back: READY_FOR_TEST again, no second event.
    const [a] = servers as [string];
    await mgn.send(new StartTestCommand({ sourceServerIDs: [a] }));
    await advance(2 * HOURS);
    await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: a, lifeCycle: { state: 'READY_FOR_TEST' } }));
    await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: a, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    const back = await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: a, lifeCycle: { state: 'READY_FOR_TEST' } }));
    expect(back.lifeCycle?.state).toBe('READY_FOR_TEST');
    await advance(2 * HOURS);
    expect(ofType(events, LIFECYCLE)).toEqual(lifecycle);
  });

  it('sends no Lifecycle State Change for servers seeded already READY_FOR_TEST', async () => {
    const { all, events, advance } = await start({ servers: 2, start: 'ready-for-test' });
    await advance(HOURS);
    expect((await all()).map((s) => s.lifeCycle?.state)).toEqual(['READY_FOR_TEST', 'READY_FOR_TEST']);
    expect(ofType(events, LIFECYCLE)).toEqual([]);
  });

  it('sends one Launch Result per server per launch with the state of that launch and its hyphenated job-id', async () => {
    const { emu, mgn, events, advance, ids } = await start({ servers: 3, start: 'ready-for-test' });
    const [a, b, c] = (await ids()) as [string, string, string];
    await control(emu.endpoint, `/servers/${c}/inject`, { failNextLaunch: true });

    const test = (await mgn.send(new StartTestCommand({ sourceServerIDs: [a, b, c] }))).job as Job;
    await advance(2 * HOURS);
    const testJob = await job(mgn, test.jobID as string);
    expect(testJob.status).toBe('COMPLETED');
    expect(Object.fromEntries(testJob.participatingServers?.map((p) => [p.sourceServerID, p.launchStatus]) ?? [])).toEqual({
      [a]: 'LAUNCHED',
      [b]: 'LAUNCHED',
      [c]: 'FAILED',
    });
    const testResults = ofType(events, LAUNCH_RESULT);
    expect(testResults).toHaveLength(3);
    const stateOf = (list: MgnEvent[], id: string) => list.filter((e) => e.resources[0] === serverArn(id)).map((e) => e.detail);
    expect(stateOf(testResults, a)).toEqual([{ state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': test.jobID }]);
    expect(stateOf(testResults, b)).toEqual([{ state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': test.jobID }]);
    expect(stateOf(testResults, c)).toEqual([{ state: 'TEST_LAUNCH_FAILED', 'job-id': test.jobID }]);
    for (const e of testResults) {
      expectServerEnvelope(e, (e.resources[0] as string).split('/')[1] as string);
      // sent when the server's launch finished: inside the job's lifetime
      expect(seconds(e.time)).toBeGreaterThanOrEqual(seconds(testJob.creationDateTime));
      expect(seconds(e.time)).toBeLessThanOrEqual(seconds(testJob.endDateTime));
    }

    // A relaunch of the failed server is a new launch: one more event, with the new job's id.
    const retest = (await mgn.send(new StartTestCommand({ sourceServerIDs: [c] }))).job as Job;
    await advance(2 * HOURS);
    expect(stateOf(ofType(events, LAUNCH_RESULT), c)).toEqual([
      { state: 'TEST_LAUNCH_FAILED', 'job-id': test.jobID },
      { state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': retest.jobID },
    ]);

    // Cutover: one succeeds, one fails.
    for (const id of [a, b]) {
      await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    }
    await control(emu.endpoint, `/servers/${b}/inject`, { failNextLaunch: true });
    const cutover = (await mgn.send(new StartCutoverCommand({ sourceServerIDs: [a, b] }))).job as Job;
    await advance(2 * HOURS);
    const all = ofType(events, LAUNCH_RESULT);
    expect(all).toHaveLength(6);
    expect(stateOf(all, a)).toEqual([
      { state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': test.jobID },
      { state: 'CUTOVER_LAUNCH_SUCCEEDED', 'job-id': cutover.jobID },
    ]);
    expect(stateOf(all, b)).toEqual([
      { state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': test.jobID },
      { state: 'CUTOVER_LAUNCH_FAILED', 'job-id': cutover.jobID },
    ]);
    expect(new Set(all.map((e) => e.id)).size).toBe(6);
  });

  it('sends Data Replication Stalled Change STALLED when replication stalls and NOT_STALLED when it recovers or is retried', async () => {
    const { emu, mgn, events, advance, ids } = await start({ servers: 3, start: 'ready-for-test' });
    const [a, b, quiet] = (await ids()) as [string, string, string];
    const changes = (id: string) => ofType(events, STALLED_CHANGE).filter((e) => e.resources[0] === serverArn(id));

    await control(emu.endpoint, `/servers/${a}/inject`, { stall: 'UNSTABLE_NETWORK' });
    await advance(0);
    expect(changes(a).map((e) => e.detail)).toEqual([{ state: 'STALLED' }]);
    const stalled = await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [a] } }));
    expect(stalled.items?.[0]?.dataReplicationInfo?.dataReplicationState).toBe('STALLED');

    // recovers by itself after stallRecoverAfterS (default 600 s)
    await advance(599);
    expect(changes(a)).toHaveLength(1);
    await advance(1);
    expect(changes(a).map((e) => e.detail)).toEqual([{ state: 'STALLED' }, { state: 'NOT_STALLED' }]);
    const [stall, recovery] = changes(a) as [MgnEvent, MgnEvent];
    expectServerEnvelope(stall, a);
    expectServerEnvelope(recovery, a);
    expect(seconds(recovery.time) - seconds(stall.time)).toBe(600);
    const recovered = await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [a] } }));
    expect(recovered.items?.[0]?.dataReplicationInfo?.dataReplicationState).not.toBe('STALLED');

    // RetryDataReplication leaves STALLED at once
    await control(emu.endpoint, `/servers/${b}/inject`, { stall: 'AGENT_NOT_SEEN' });
    const retried = await mgn.send(new RetryDataReplicationCommand({ sourceServerID: b }));
    expect(retried.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
    await advance(0);
    expect(changes(b).map((e) => e.detail)).toEqual([{ state: 'STALLED' }, { state: 'NOT_STALLED' }]);
    expect(changes(b)[1]?.time).toBe(changes(b)[0]?.time);

    // pausing and resuming healthy replication is not a stall
    await mgn.send(new PauseReplicationCommand({ sourceServerID: quiet }));
    await mgn.send(new ResumeReplicationCommand({ sourceServerID: quiet }));
    await advance(HOURS);
    expect(changes(quiet)).toEqual([]);
  });

  it('sends CloudTrail API-call events for mutating calls only, and no aws.mgn detail-type beyond the documented ones', async () => {
    const { emu, mgn, events, advance, ids } = await start({ servers: 2, bandwidthBytesPerS: 1 * GiB });
    const [a, b] = (await ids()) as [string, string];
    await advance(6 * HOURS);
    await control(emu.endpoint, `/servers/${b}/inject`, { stall: 'UNSTABLE_NETWORK' });

    // read-only calls
    await mgn.send(new DescribeSourceServersCommand({ filters: { isArchived: false } }));
    await mgn.send(new DescribeJobsCommand({}));
    await mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: a }));
    await mgn.send(new GetReplicationConfigurationCommand({ sourceServerID: a }));
    await mgn.send(new DescribeLaunchConfigurationTemplatesCommand({}));
    await mgn.send(new ListWavesCommand({}));
    await mgn.send(new ListApplicationsCommand({}));
    await mgn.send(new ListSourceServerActionsCommand({ sourceServerID: a }));
    await mgn.send(new ListTagsForResourceCommand({ resourceArn: serverArn(a) }));

    // mutating calls
    const started = await mgn.send(new StartTestCommand({ sourceServerIDs: [a], tags: { wave: 'w1' } }));
    const wave = await mgn.send(new CreateWaveCommand({ name: 'wave-1' }));
    await mgn.send(new CreateApplicationCommand({ name: 'app-1' }));
    await mgn.send(new TagResourceCommand({ resourceArn: serverArn(a), tags: { owner: 'ops' } }));
    await expect(mgn.send(new StartTestCommand({ sourceServerIDs: [a] }))).rejects.toMatchObject({ name: 'ConflictException' });
    await advance(2 * HOURS);
    await mgn.send(new DescribeJobLogItemsCommand({ jobID: started.job?.jobID }));
    await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: a, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    await advance(0);

    const cloudTrail = ofType(events, CLOUDTRAIL);
    expect(cloudTrail.map((e) => e.detail.eventName)).toEqual([
      'StartTest',
      'CreateWave',
      'CreateApplication',
      'TagResource',
      'StartTest',
      'ChangeServerLifeCycleState',
    ]);
    for (const e of cloudTrail) {
      expect(e).toMatchObject({ version: '0', source: 'aws.mgn', account: '111122223333', region: 'us-east-1' });
      expect(e.time).toMatch(ISO_NO_MILLIS);
      expect(e.detail).toMatchObject({
        eventSource: 'mgn.amazonaws.com',
        readOnly: false,
        eventType: 'AwsApiCall',
        awsRegion: 'us-east-1',
        recipientAccountId: '111122223333',
      });
    }
    const [firstStart, secondStart] = trail(events, 'StartTest') as [MgnEvent, MgnEvent];
    expect(firstStart.detail.requestParameters).toEqual({ sourceServerIDs: [a], tags: { wave: 'w1' } });
    expect(firstStart.detail.responseElements).toMatchObject({
      job: { jobID: started.job?.jobID, type: 'LAUNCH', initiatedBy: 'START_TEST', status: 'PENDING' },
    });
    expect(firstStart.detail.errorCode).toBeUndefined();
    expect(secondStart.detail).toMatchObject({ errorCode: 'ConflictException', responseElements: null });
    expect(trail(events, 'CreateWave')[0]?.detail.responseElements).toMatchObject({ waveID: wave.waveID, name: 'wave-1' });
    expect(trail(events, 'TagResource')[0]?.detail.requestParameters).toEqual({ resourceArn: serverArn(a), tags: { owner: 'ops' } });
    expect(trail(events, 'ChangeServerLifeCycleState')[0]?.detail).toMatchObject({
      requestParameters: { sourceServerID: a, lifeCycle: { state: 'READY_FOR_CUTOVER' } },
      responseElements: { sourceServerID: a, lifeCycle: { state: 'READY_FOR_CUTOVER' } },
    });

    const readOnly = cloudTrail.filter((e) => /^(Describe|Get|List)/.test(String(e.detail.eventName)));
    expect(readOnly).toEqual([]);
    expect(new Set(events.map((e) => e['detail-type']))).toEqual(new Set([LIFECYCLE, LAUNCH_RESULT, STALLED_CHANGE, CLOUDTRAIL]));
    expect(events.every((e) => e.source === 'aws.mgn')).toBe(true);
  });

  it('shapes each server event exactly like the documented sample (same envelope and detail keys)', async () => {
    const { emu, mgn, events, advance, ids } = await start({ servers: 1, bandwidthBytesPerS: 1 * GiB });
    const [a] = (await ids()) as [string];
    await advance(6 * HOURS);
    await mgn.send(new StartTestCommand({ sourceServerIDs: [a] }));
    await advance(2 * HOURS);
    await control(emu.endpoint, `/servers/${a}/inject`, { stall: 'UNSTABLE_NETWORK' });
    await advance(0);

    const samples: [string, string][] = [
      ['launch-result', LAUNCH_RESULT],
      ['lifecycle-state-change', LIFECYCLE],
      ['replication-stalled', STALLED_CHANGE],
    ];
    for (const [file, type] of samples) {
      const sample = fixture(file);
      expect(sample['detail-type']).toBe(type);
      const [emitted] = ofType(events, type);
      expect(emitted, type).toBeDefined();
      const e = emitted as MgnEvent;
      expect(Object.keys(e).sort()).toEqual(Object.keys(sample).sort());
      expect(Object.keys(e.detail).sort()).toEqual(Object.keys(sample.detail).sort());
      // same value types and forms as the sample: bare upper-case states, ids without markup
      expect(typeof e.detail.state).toBe('string');
      expect(e.detail.state).toMatch(/^[A-Z_]+$/);
      expect(e.resources).toHaveLength(sample.resources.length);
      expect(e.time).toMatch(ISO_NO_MILLIS);
      expect(sample.time).toMatch(ISO_NO_MILLIS);
    }
    expect(ofType(events, LAUNCH_RESULT)[0]?.detail['job-id']).toMatch(/^mgnjob-[0-9a-zA-Z]{17}$/);
  });
});

describe('emulator PutEvents forwarding', () => {
  const start = useEmulator();
  const targets: { close: () => Promise<void> }[] = [];
  afterEach(async () => {
    while (targets.length) await targets.pop()?.close();
  });

  /** A tiny EventBridge stand-in that records PutEvents requests. */
  async function putEventsTarget() {
    const received: { method: string; url: string; headers: IncomingHttpHeaders; body: unknown }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    targets.push({ close });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received };
  }

  async function until(cond: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('posts every delivered event to the PutEvents endpoint as AWSEvents.PutEvents entries', async () => {
    const target = await putEventsTarget();
    const { mgn, events, advance, ids } = await start({ servers: 2, start: 'ready-for-test', putEventsEndpoint: target.url });
    const [a, b] = (await ids()) as [string, string];
    const started = await mgn.send(new StartTestCommand({ sourceServerIDs: [a, b] }));
    await advance(2 * HOURS);
    expect(events).toHaveLength(3); // one CloudTrail StartTest, two launch results
    await until(() => target.received.length >= events.length, 'PutEvents requests');

    expect(target.received).toHaveLength(3);
    for (const r of target.received) {
      expect(r.method).toBe('POST');
      expect(r.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
      expect(r.headers['content-type']).toBe('application/x-amz-json-1.1');
    }
    const entries = target.received.flatMap((r) => (r.body as { Entries: Record<string, unknown>[] }).Entries);
    expect(entries).toHaveLength(3);
    for (const entry of entries) {
      expect(entry.Source).toBe('aws.mgn');
      expect(typeof entry.Detail).toBe('string');
    }
    const launchEntries = entries.filter((x) => x.DetailType === LAUNCH_RESULT);
    expect(launchEntries.map((x) => x.Resources).sort()).toEqual([[serverArn(a)], [serverArn(b)]].sort());
    for (const x of launchEntries) {
      expect(JSON.parse(x.Detail as string)).toEqual({ state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': started.job?.jobID });
    }
    const [apiCall] = entries.filter((x) => x.DetailType === CLOUDTRAIL);
    expect(JSON.parse(apiCall?.Detail as string)).toMatchObject({ eventName: 'StartTest', eventSource: 'mgn.amazonaws.com' });
    expect(apiCall?.Resources).toEqual([]);
  });
});
