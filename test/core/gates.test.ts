import { ensureRequested, gatherEvidence, remindOpenGates } from '../../src/core/approvals.ts';
import { describe, expect, it } from 'vitest';
import { arriveAtGate, decide, gateId, type GateArrival } from '../../src/core/gates.ts';
import { fakeDeps, throttled } from '../helpers/fakes.ts';

const IDS = ['s-aaaaaaaaaaaaaaaaa', 's-bbbbbbbbbbbbbbbbb', 's-ccccccccccccccccc', 's-ddddddddddddddddd', 's-eeeeeeeeeeeeeeeee'];

const arrival = (serverId: string, gate: GateArrival['gate'] = 'FINALIZE'): GateArrival => ({
  serverId,
  executionArn: `arn:aws:states:us-east-1:111122223333:execution:m:${serverId}`,
  state: 'FinalizeGate',
  token: `token-${serverId}`,
  wave: 'w',
  application: 'app',
  gate,
  round: '1-1',
  members: IDS,
  timeoutSeconds: 3600,
});

describe('gates', () => {
  it('sends one request per application and gate, saying the finalize is the point of no return', async () => {
    const deps = fakeDeps();
    for (const id of IDS) {
      const { gate } = await arriveAtGate(deps, arrival(id));
      await ensureRequested(deps, gate);
    }
    expect(deps.approvals.messages).toHaveLength(1);
    expect(deps.approvals.messages[0]?.text).toMatch(/point of no return/);
    expect(deps.approvals.messages[0]?.attributes).toMatchObject({ gateId: gateId(arrival(IDS[0] as string)) });
  });

  it('releases a 5-server application together with one decision, and refuses a second decision or a choice the gate does not allow', async () => {
    const deps = fakeDeps();
    for (const id of IDS) await arriveAtGate(deps, arrival(id));
    const id = gateId(arrival(IDS[0] as string));
    await expect(decide(deps, id, { decision: 'retry', by: 'x', at: deps.clock.iso() })).rejects.toThrow(/not allowed at FINALIZE/);
    const { released } = await decide(deps, id, { decision: 'approve', by: 'alice@example.com', at: deps.clock.iso() });
    expect(released.sort()).toEqual([...IDS].sort());
    expect(deps.callbacks.calls.filter((c) => c.accepted).map((c) => (c as { output?: { decision: string } }).output?.decision)).toEqual(IDS.map(() => 'approve'));
    await expect(decide(deps, id, { decision: 'reject', by: 'bob@example.com', at: deps.clock.iso() })).rejects.toThrow(/already decided/);
  });

  it('lets a server arriving after the decision follow it at once', async () => {
    const deps = fakeDeps();
    await arriveAtGate(deps, arrival(IDS[0] as string));
    await decide(deps, gateId(arrival(IDS[0] as string)), { decision: 'reject', by: 'alice@example.com', at: deps.clock.iso(), terminateInstances: true });
    const late = await arriveAtGate(deps, arrival(IDS[1] as string));
    expect(late.decided).toBe(true);
    expect(deps.callbacks.calls.find((c) => c.token === `token-${IDS[1]}`)).toMatchObject({ output: { decision: 'reject', terminateInstances: true } });
  });

  it('refuses a go without the quiesce confirmation, and any decision after the gate expired', async () => {
    const deps = fakeDeps();
    const go = { ...arrival(IDS[0] as string, 'GO_NO_GO'), state: 'GoNoGo' };
    await arriveAtGate(deps, go);
    const id = gateId(go);
    await expect(decide(deps, id, { decision: 'approve', by: 'alice@example.com', at: deps.clock.iso() })).rejects.toThrow(/quiesced: true/);
    deps.clock.advance(3601);
    await expect(decide(deps, id, { decision: 'approve', by: 'alice@example.com', at: deps.clock.iso(), quiesced: true })).rejects.toThrow(/expired/);
    expect(deps.callbacks.calls).toHaveLength(0);
  });
});


describe('a gate never outlives what it decides (issue 13)', () => {
  const WINDOW_END = '2025-03-01T04:00:00.000Z';
  const go = (serverId: string): GateArrival => ({ ...arrival(serverId, 'GO_NO_GO'), state: 'GoNoGo', timeoutSeconds: 7 * 86400, window: { start: '2025-02-28T00:00:00.000Z', end: WINDOW_END }, timeZone: 'Europe/Berlin', members: [serverId] });

  it('the go/no-go closes at the end of the cutover window: its deadline, its expiry into the safe path at once, a late decision refused with the reason', async () => {
    const deps = fakeDeps({ start: '2025-03-01T00:00:00.000Z' });
    const { gate } = await arriveAtGate(deps, go(IDS[0] as string));
    expect(gate.deadline).toBe(WINDOW_END);
    expect(await ensureRequested(deps, gate)).toBe(true);
    expect(deps.approvals.messages[0]?.text).toContain('Decide by 2025-03-01T05:00+01:00 (Europe/Berlin), the end of the cutover window');
    deps.clock.advance(4 * 3600);
    expect(await remindOpenGates(deps)).toMatchObject({ expired: 1 });
    // the parked server takes the safe path now, not when its 7-day callback times out
    expect(deps.callbacks.failed).toEqual([{ token: `token-${IDS[0]}`, error: 'GateExpired', cause: expect.stringContaining('the end of the cutover window') }]);
    await expect(decide(deps, gate.id, { decision: 'approve', by: 'late@example.com', at: deps.clock.iso(), quiesced: true })).rejects.toMatchObject({
      reason: 'expired',
      message: expect.stringContaining('the go/no-go closed at 2025-03-01T05:00+01:00 (Europe/Berlin), the end of the cutover window'),
    });
  });

  it('no request after the deadline, none for a decided gate (even from a stale listing), no reminder for an expired one', async () => {
    const deps = fakeDeps({ start: '2025-03-01T00:00:00.000Z' });
    const { gate } = await arriveAtGate(deps, go(IDS[0] as string));
    // decided by the CLI before the request went out; a listing taken before the decision still says OPEN
    const other = await arriveAtGate(deps, { ...go(IDS[1] as string), round: '2-1' });
    await decide(deps, other.gate.id, { decision: 'reject', by: 'ops', at: deps.clock.iso() });
    expect(await ensureRequested(deps, other.gate, { force: true })).toBe(false);
    deps.clock.advance(4 * 3600);
    expect(await ensureRequested(deps, gate)).toBe(false);
    await remindOpenGates(deps);
    expect(deps.approvals.messages).toEqual([]);
  });

  it('a server arriving at a gate already expired takes the safe path at once', async () => {
    const deps = fakeDeps({ start: '2025-03-01T03:00:00.000Z' });
    const first = { ...go(IDS[0] as string), members: IDS.slice(0, 2) };
    await arriveAtGate(deps, first);
    deps.clock.advance(3600);
    await remindOpenGates(deps);
    const late = await arriveAtGate(deps, { ...first, serverId: IDS[1] as string, token: `token-${IDS[1]}` });
    expect(late.gate.status).toBe('EXPIRED');
    expect(deps.callbacks.failed.map((f) => [f.token, f.error])).toEqual([
      [`token-${IDS[0]}`, 'GateExpired'],
      [`token-${IDS[1]}`, 'GateExpired'],
    ]);
  });
});

describe('evidence MGN cannot give (issue 13)', () => {
  it('a throttled MGN: the servers not at the go/no-go count as missing and are named; nobody is kept from deciding', async () => {
    const deps = fakeDeps();
    const go = (serverId: string) => ({ ...arrival(serverId, 'GO_NO_GO'), state: 'GoNoGo', members: IDS.slice(0, 2) });
    await arriveAtGate(deps, go(IDS[0] as string));
    const id = gateId(go(IDS[0] as string));
    deps.mgn.failNext('describeServers', throttled());
    await expect(decide(deps, id, { decision: 'approve', by: 'ops', at: deps.clock.iso(), quiesced: true })).rejects.toThrow(`${IDS[1]} is not at the go/no-go`);
    deps.mgn.failNext('describeServers', throttled());
    expect(await decide(deps, id, { decision: 'approve', by: 'ops', at: deps.clock.iso(), quiesced: true, acceptMissing: [IDS[1] as string] })).toEqual({ released: [IDS[0]], decided: true });
  });

  it('the evidence says MGN could not be read', async () => {
    const deps = fakeDeps();
    const { gate } = await arriveAtGate(deps, { ...arrival(IDS[0] as string, 'SIGNOFF'), members: [IDS[0] as string] });
    deps.mgn.failNext('describeServers', throttled());
    const ev = await gatherEvidence(deps, gate);
    expect(ev.unavailable).toMatch(/^MGN could not be read \(ThrottlingException: Rate exceeded\)/);
    expect(ev.servers).toEqual([expect.objectContaining({ id: IDS[0], lifeCycle: 'unknown (MGN not read)', atGate: true })]);
  });
});
