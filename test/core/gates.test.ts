import { ensureRequested } from '../../src/core/approvals.ts';
import { describe, expect, it } from 'vitest';
import { arriveAtGate, decide, gateId, type GateArrival } from '../../src/core/gates.ts';
import { fakeDeps } from '../helpers/fakes.ts';

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

