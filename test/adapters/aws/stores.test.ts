import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Gate, LaunchPoint, OpenWait } from '../../../src/ports.ts';
import { StoreConflictError, StoreNotFoundError, createDocumentClient, createLeaseLock, createStores } from '../../../src/adapters/aws/stores.ts';
import { localStateTable, manualClock } from './helpers.ts';

type Local = Awaited<ReturnType<typeof localStateTable>>;

const wait = (serverId: string, token: string, extra: Partial<OpenWait> = {}): OpenWait => ({
  serverId,
  executionArn: `arn:aws:states:us-east-1:111122223333:execution:server-lifecycle:w1-${serverId}-1`,
  state: 'WaitForLaunchResult',
  condition: { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: 'mgnjob-1' },
  token,
  createdAt: '2026-01-05T08:00:00.000Z',
  ...extra,
});

const point = (id: string, expected: string[]): Omit<LaunchPoint, 'arrived' | 'status'> => ({
  id,
  application: 'app-1',
  launch: 'TEST',
  expected,
  openedAt: '2026-01-05T08:00:00.000Z',
  deadline: '2026-01-05T09:00:00.000Z',
});

const gate = (id: string): Omit<Gate, 'status'> => ({
  id,
  application: 'app-1',
  wave: 'w1',
  gate: 'GO_NO_GO',
  servers: ['s-1', 's-2'],
  allowed: ['approve', 'reject'],
  openedAt: '2026-01-05T08:00:00.000Z',
  deadline: '2026-01-06T08:00:00.000Z',
  evidence: { lagSeconds: 0, note: undefined, nested: { backlog: 0 } },
});

describe('DynamoDB stores on one table', () => {
  let local: Local;
  let stores: ReturnType<typeof createStores>;
  const clock = manualClock();

  beforeAll(async () => {
    local = await localStateTable();
    stores = createStores(createDocumentClient(local.client), local.table, clock);
  });
  afterAll(async () => local.close());

  describe('WaitStore', () => {
    it('puts, gets and lists waits, a newer wait replacing the older one', async () => {
      await stores.waits.put(wait('s-a', 'tok-1'));
      await stores.waits.put(wait('s-b', 'tok-2', { condition: { kind: 'READY_FOR_TEST' } }));
      await stores.waits.put(wait('s-a', 'tok-3', { state: 'WaitForPostLaunch', condition: { kind: 'POST_LAUNCH', jobId: 'mgnjob-2' } }));
      expect(await stores.waits.get('s-a')).toEqual(wait('s-a', 'tok-3', { state: 'WaitForPostLaunch', condition: { kind: 'POST_LAUNCH', jobId: 'mgnjob-2' } }));
      expect(await stores.waits.get('s-none')).toBeUndefined();
      const listed = await stores.waits.list();
      expect(listed.map((w) => w.serverId).sort()).toEqual(['s-a', 's-b']);
      // the token lives in the wait item only
      const raw = await createDocumentClient(local.client).send(new GetCommand({ TableName: local.table, Key: { pk: 'WAIT#s-a' } }));
      expect(raw.Item).toMatchObject({ pk: 'WAIT#s-a', token: 'tok-3' });
    });

    it('lets exactly one of 50 concurrent takers take the wait, and none with an older token', async () => {
      await stores.waits.put(wait('s-race', 'tok-new'));
      expect(await stores.waits.take('s-race', 'tok-old')).toBe(false);
      const results = await Promise.all(Array.from({ length: 50 }, () => stores.waits.take('s-race', 'tok-new')));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await stores.waits.get('s-race')).toBeUndefined();
      expect(await stores.waits.take('s-race', 'tok-new')).toBe(false);
    });

    it('lists every wait across scan pages', async () => {
      const big = 'x'.repeat(20_000);
      const ids = Array.from({ length: 120 }, (_, i) => `s-page-${String(i).padStart(3, '0')}`);
      await Promise.all(ids.map((id) => stores.waits.put(wait(id, `tok-${id}`, { state: big }))));
      const listed = (await stores.waits.list()).map((w) => w.serverId).filter((id) => id.startsWith('s-page-'));
      expect(listed.sort()).toEqual(ids);
    });
  });

  describe('RendezvousStore', () => {
    it('records 20 concurrent arrivals once each, keeping the first init', async () => {
      const servers = Array.from({ length: 20 }, (_, i) => `s-${String(i).padStart(2, '0')}`);
      const results = await Promise.all(
        servers.flatMap((s) => [stores.points.arrive(point('p-20', servers), s), stores.points.arrive({ ...point('p-20', servers), deadline: '2099-01-01T00:00:00.000Z' }, s)]),
      );
      const final = await stores.points.get('p-20');
      expect(final?.arrived).toEqual(servers);
      expect(final).toMatchObject({ id: 'p-20', application: 'app-1', launch: 'TEST', expected: servers, status: 'OPEN' });
      // whichever arrival created the point set its deadline; nobody changed it afterwards
      expect(new Set(results.map((r) => r.deadline)).size).toBe(1);
      // each answer shows the point as it was right after that arrival
      for (const r of results) expect(r.arrived.length).toBeGreaterThanOrEqual(1);
      expect(Math.max(...results.map((r) => r.arrived.length))).toBe(20);
    });

    it('takes an arrival back from an open point only, once', async () => {
      await stores.points.arrive(point('p-leave', ['s-1', 's-2']), 's-1');
      await stores.points.arrive(point('p-leave', ['s-1', 's-2']), 's-2');
      expect(await stores.points.leave('p-leave', 's-1')).toBe(true);
      expect(await stores.points.leave('p-leave', 's-1')).toBe(false);
      expect((await stores.points.get('p-leave'))?.arrived).toEqual(['s-2']);
      expect(await stores.points.claim('p-leave', '2026-01-01T00:00:00.000Z')).toBe(true);
      expect(await stores.points.leave('p-leave', 's-2')).toBe(false);
    });

    it('lets exactly one concurrent claimer launch, records the job, and lists only unlaunched points', async () => {
      await stores.points.arrive(point('p-claim', ['s-1', 's-2']), 's-1');
      await stores.points.arrive(point('p-other', ['s-9']), 's-9');
      const wins = await Promise.all(Array.from({ length: 30 }, () => stores.points.claim('p-claim', '2026-01-01T00:00:00.000Z')));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect((await stores.points.get('p-claim'))?.status).toBe('LAUNCHING');
      expect((await stores.points.listOpen()).map((p) => p.id)).toEqual(expect.arrayContaining(['p-claim', 'p-other']));

      await stores.points.launched('p-claim', 'mgnjob-7', ['s-1']);
      await stores.points.launched('p-claim', 'mgnjob-7', ['s-1']); // a retry is already done
      await expect(stores.points.launched('p-claim', 'mgnjob-8', ['s-1'])).rejects.toBeInstanceOf(StoreConflictError);
      expect(await stores.points.get('p-claim')).toMatchObject({ status: 'LAUNCHED', jobId: 'mgnjob-7', launched: ['s-1'] });
      expect(await stores.points.claim('p-claim', '2026-01-01T00:00:00.000Z')).toBe(false);
      const open = (await stores.points.listOpen()).map((p) => p.id);
      expect(open).toContain('p-other');
      expect(open).not.toContain('p-claim');
      expect(await stores.points.claim('p-missing', '2026-01-01T00:00:00.000Z')).toBe(false);
    });

    it('releases a claimed point so it can be claimed again, and never reopens a launched one', async () => {
      await stores.points.arrive(point('p-rel', ['s-1']), 's-1');
      expect(await stores.points.claim('p-rel', '2026-01-01T00:00:00.000Z')).toBe(true);
      await stores.points.release('p-rel');
      expect((await stores.points.get('p-rel'))?.status).toBe('OPEN');
      await stores.points.release('p-rel');
      expect(await stores.points.claim('p-rel', '2026-01-01T00:00:00.000Z')).toBe(true);
      await stores.points.launched('p-rel', 'mgnjob-9', ['s-1']);
      await stores.points.release('p-rel');
      expect((await stores.points.get('p-rel'))?.status).toBe('LAUNCHED');
      await expect(stores.points.launched('p-none', 'mgnjob-1', [])).rejects.toThrow(/does not exist/);
    });
  });

  describe('GateStore', () => {
    it('creates a gate once under 25 concurrent openers and returns the stored gate to the others', async () => {
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => stores.gates.open({ ...gate('g-1'), deadline: `2026-01-0${(i % 3) + 6}T08:00:00.000Z` })));
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(1);
      const stored = await stores.gates.get('g-1');
      expect(stored).toEqual(created[0]?.gate);
      for (const r of results) expect(r.gate).toEqual(stored);
      expect(stored).toMatchObject({ status: 'OPEN', evidence: { lagSeconds: 0, nested: { backlog: 0 } } });
    });

    it('decides a gate once under concurrency and keeps the first decision', async () => {
      await stores.gates.open(gate('g-2'));
      const decisions = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores.gates.decide('g-2', { decision: i % 2 ? 'approve' : 'reject', by: `user-${i}`, at: '2026-01-05T09:00:00.000Z' })),
      );
      expect(decisions.filter(Boolean)).toHaveLength(1);
      const winner = decisions.findIndex(Boolean);
      expect(await stores.gates.get('g-2')).toMatchObject({ status: 'DECIDED', decision: { by: `user-${winner}` } });
      await stores.gates.open(gate('g-3'));
      expect(await stores.gates.decide('g-3', { decision: 'stop', by: 'ops', at: '2026-01-05T09:00:00.000Z', comment: undefined, acceptMissing: ['s-2'] })).toBe(true);
      expect((await stores.gates.get('g-3'))?.decision).toEqual({ decision: 'stop', by: 'ops', at: '2026-01-05T09:00:00.000Z', acceptMissing: ['s-2'] });
      await expect(stores.gates.decide('g-missing', { decision: 'approve', by: 'x', at: 'y' })).rejects.toBeInstanceOf(StoreNotFoundError);
    });

    it('records each approver\'s vote once under concurrency, only while the gate is open, and lists a wave\'s gates', async () => {
      await stores.gates.open({ ...gate('w1#app-1#GO_NO_GO#1'), quorum: { needed: 2, rejects: 1 }, approvers: ['a@x.io', 'b@x.io', 'c@x.io'] });
      const vote = (approver: string, i: number) => stores.gates.vote('w1#app-1#GO_NO_GO#1', { approver, decision: 'approve', by: `${approver} #${i}`, at: '2026-01-05T09:00:00.000Z' });
      // 10 concurrent tries each by three approvers: three votes stored, one per approver
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => vote(['a@x.io', 'b@x.io', 'c@x.io'][i % 3] as string, i)));
      expect(results.filter((r) => r.recorded)).toHaveLength(3);
      const stored = await stores.gates.get('w1#app-1#GO_NO_GO#1');
      expect(stored?.votes?.map((v) => v.approver).sort()).toEqual(['a@x.io', 'b@x.io', 'c@x.io']);
      expect(stored).not.toHaveProperty('voterSet');
      // once decided, no vote is taken
      expect(await stores.gates.decide('w1#app-1#GO_NO_GO#1', { decision: 'approve', by: '2 of 3', at: '2026-01-05T09:00:00.000Z' })).toBe(true);
      expect((await vote('d@x.io', 0)).recorded).toBe(false);
      await expect(stores.gates.vote('g-missing', { approver: 'a', decision: 'approve', by: 'a', at: 'y' })).rejects.toBeInstanceOf(StoreNotFoundError);
      expect((await stores.gates.forWave('w1')).map((g) => g.id)).toEqual(['w1#app-1#GO_NO_GO#1']);
    });
  });

  describe('Dedupe', () => {
    it('says yes once per key until its ttl passes, and again after forget', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => stores.dedupe.once('stall#s-1', 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await stores.dedupe.once('stall#s-2', 60)).toBe(true);
      clock.advance(59);
      expect(await stores.dedupe.once('stall#s-1', 60)).toBe(false);
      clock.advance(1);
      expect(await stores.dedupe.once('stall#s-1', 60)).toBe(true);
      await stores.dedupe.forget('stall#s-1');
      expect(await stores.dedupe.once('stall#s-1', 60)).toBe(true);
      const raw = await createDocumentClient(local.client).send(new GetCommand({ TableName: local.table, Key: { pk: 'ONCE#stall#s-1' } }));
      expect(raw.Item?.ttl).toBe(Math.floor(clock.now().getTime() / 1000) + 60);
      // a key too long for a partition key still works, by its hash
      const long = `gate#${'x'.repeat(3000)}`;
      expect(await stores.dedupe.once(long, 60)).toBe(true);
      expect(await stores.dedupe.once(long, 60)).toBe(false);
    });
  });

  describe('LeaseLock', () => {
    it('one holder at a time; a holder known here fails other acquires without a request; free again on release or expiry', async () => {
      let onceCalls = 0;
      const dedupe = { once: (k: string, t: number) => (onceCalls++, stores.dedupe.once(k, t)), forget: (k: string) => stores.dedupe.forget(k) };
      const lock = createLeaseLock(dedupe, clock);
      const other = createLeaseLock(stores.dedupe, clock);
      // racing acquires in one container: one request, one winner
      const results = await Promise.all(Array.from({ length: 5 }, () => lock.acquire('launcher', 120)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(onceCalls).toBe(1);
      expect(await lock.acquire('launcher', 120)).toBe(false);
      expect(onceCalls).toBe(1);
      // another container asks DynamoDB, which says no
      expect(await other.acquire('launcher', 120)).toBe(false);
      await lock.release('launcher');
      expect(await other.acquire('launcher', 120)).toBe(true);
      expect(await lock.acquire('launcher', 120)).toBe(false);
      expect(onceCalls).toBe(2);
      // the lease expires: anyone may take it
      clock.advance(120);
      expect(await lock.acquire('launcher', 60)).toBe(true);
      clock.advance(60);
      expect(await lock.acquire('launcher', 60)).toBe(true);
      expect(onceCalls).toBe(4);
      await lock.release('launcher');
    });
  });
});
