import { describe, expect, it } from 'vitest';
import { decideByLink, ensureRequested, recordDecision } from '../../src/core/approvals.ts';
import { ArriveAtGateInput, GatePolicy } from '../../src/core/contracts.ts';
import { arriveAtGate, tallyText } from '../../src/core/gates.ts';
import type { GateKind } from '../../src/ports.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';

const ids = ['s-00000000000000001', 's-00000000000000002'];
const people = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

/** An application at a gate whose plan says `approvers` (parsed by the arrival's contract, as the Lambda does). */
async function at(gate: GateKind, approvers: unknown) {
  const d = fakeDeps({ start: '2026-12-01T00:00:00.000Z' });
  for (const id of ids) d.mgn.servers.set(id, serverView(id, { lifeCycle: 'READY_FOR_CUTOVER' }));
  let g;
  for (const id of ids) {
    const input = ArriveAtGateInput.parse({ serverId: id, executionArn: `arn:aws:states:us-east-1:123456789012:execution:m:${id}`, state: 'Gate', token: `t-${id}`, wave: 'wave-1', application: 'billing', gate, round: '1', members: ids, timeoutSeconds: 86400, approvers });
    g = (await arriveAtGate(d, input)).gate;
  }
  await ensureRequested(d, g!);
  const links = Object.fromEntries(
    d.approvals.messages.map((m) => {
      const url = new URL(/https:\/\/\S+/.exec(m.text)?.[0] as string);
      return [m.approver, { id: url.pathname.split('/').pop() as string, sig: url.searchParams.get('sig') as string }];
    }),
  );
  return { d, gateId: g!.id, links };
}

describe('a quorum at a gate', () => {
  it('takes the plain list as before: the first decision decides', async () => {
    const { d, links } = await at('GO_NO_GO', people);
    const r = await decideByLink(d, { ...links['alice@example.com']!, decision: 'approve', name: 'Alice', quiesced: true });
    expect(r.status === 200 && r.released.length).toBe(2);
  });

  it('2 of 3: the first approval is recorded and shown, the second decides once and releases the servers', async () => {
    const { d, gateId, links } = await at('GO_NO_GO', { people, quorum: 2 });
    // each approver's request says what the gate needs
    expect(d.approvals.messages[0]?.text).toContain('This gate needs 2 of 3 approvals; one rejection decides reject. So far: 0 of 3 approved');
    const first = await decideByLink(d, { ...links['alice@example.com']!, decision: 'approve', name: 'Alice', quiesced: true });
    expect(first.status === 200 && first.released).toEqual([]);
    expect(d.callbacks.succeeded).toHaveLength(0);
    const gate = await d.gates.get(gateId);
    expect(gate?.status).toBe('OPEN');
    expect(tallyText(gate!)).toBe('1 of 3 approved (2 needed, one rejection decides reject): approve by Alice <alice@example.com>');
    // the same approver again (the CLI as her): refused, the first stands
    await expect(recordDecision(d, { gateId, decision: 'approve', by: 'alice@example.com', name: 'Alice', quiesced: true }, { channel: 'cli' })).rejects.toThrow(/already decided/);
    const second = await decideByLink(d, { ...links['bob@example.com']!, decision: 'approve', name: 'Bob', quiesced: true });
    expect(second.status === 200 && second.released.sort()).toEqual(ids);
    expect((await d.gates.get(gateId))?.decision).toMatchObject({ decision: 'approve', by: '2 of 3: Alice <alice@example.com>, Bob <bob@example.com>', quiesced: true });
    expect(d.audit.entries.map((e) => [e.name, e.decision, e.quorum?.approvals, e.quorum?.decided])).toEqual([
      ['Alice', 'approve', 1, false],
      ['Bob', 'approve', 2, true],
    ]);
    // the third link now answers 409 with the gate's decision
    expect(await decideByLink(d, { ...links['carol@example.com']!, decision: 'reject', name: 'Carol' })).toMatchObject({ status: 409, decision: 'approve' });
    expect(d.callbacks.succeeded).toHaveLength(2);
  });

  it('one rejection decides reject unless the plan says otherwise', async () => {
    const veto = await at('SIGNOFF', { people, quorum: 2 });
    const r = await decideByLink(veto.d, { ...veto.links['carol@example.com']!, decision: 'reject', name: 'Carol' });
    expect(r.status === 200 && r.released.length).toBe(2);
    expect((await veto.d.gates.get(veto.gateId))?.decision?.decision).toBe('reject');

    const two = await at('SIGNOFF', { people, quorum: 2, rejects: 2 });
    await decideByLink(two.d, { ...two.links['carol@example.com']!, decision: 'reject', name: 'Carol' });
    expect((await two.d.gates.get(two.gateId))?.status).toBe('OPEN');
    await decideByLink(two.d, { ...two.links['alice@example.com']!, decision: 'approve', name: 'Alice' });
    await decideByLink(two.d, { ...two.links['bob@example.com']!, decision: 'approve', name: 'Bob' });
    expect((await two.d.gates.get(two.gateId))?.decision).toMatchObject({ decision: 'approve', by: '2 of 3: Alice <alice@example.com>, Bob <bob@example.com>' });
  });

  it('decides reject once the approvals can no longer reach the quorum', async () => {
    const { d, gateId, links } = await at('FINALIZE', { people, quorum: 3, rejects: 2 });
    await decideByLink(d, { ...links['alice@example.com']!, decision: 'approve', name: 'Alice' });
    await decideByLink(d, { ...links['bob@example.com']!, decision: 'reject', name: 'Bob' });
    expect((await d.gates.get(gateId))?.decision?.decision).toBe('reject');
  });

  it('refuses a quorum the people named cannot reach, and keeps failure gates single-decider', () => {
    expect(GatePolicy.safeParse({ people: people.slice(0, 1), quorum: 2 }).success).toBe(false);
    const failure = ArriveAtGateInput.parse({ serverId: ids[0], executionArn: 'arn:x', state: 'S', token: 't', wave: 'w', application: 'a', gate: 'CUTOVER_FAILURE', round: '1', members: ids, timeoutSeconds: 60, approvers: { people, quorum: 2, changeRef: '^CHG' } });
    expect(failure).not.toHaveProperty('quorum');
    expect(failure).not.toHaveProperty('changeRef');
    expect(failure.approvers).toEqual(people);
  });
});

describe('a change id at a gate', () => {
  it('refuses an approval without a matching change id (page: 400, CLI: the reason), then records and shows it', async () => {
    const { d, gateId, links } = await at('FINALIZE', { people: ['ops@example.com'], changeRef: '^CHG[0-9]{7}$' });
    const link = links['ops@example.com']!;
    expect(d.approvals.messages[0]?.text).toContain('Approving needs the change id (pattern ^CHG[0-9]{7}$).');
    const none = await decideByLink(d, { ...link, decision: 'approve', name: 'Olga' });
    expect(none.status).toBe(400);
    expect(none.status === 400 && none.problems.join(' ')).toContain('needs a change id matching ^CHG[0-9]{7}$');
    const bad = await decideByLink(d, { ...link, decision: 'approve', name: 'Olga', changeRef: 'CHG12' });
    expect(bad.status === 400 && bad.problems.join(' ')).toContain('change id "CHG12" does not match ^CHG[0-9]{7}$');
    await expect(recordDecision(d, { gateId, decision: 'approve', by: 'arn:aws:iam::1:user/olga', changeRef: 'chg0000001' }, { channel: 'cli' })).rejects.toThrow(/does not match/);
    expect(d.audit.entries).toHaveLength(0);
    const ok = await decideByLink(d, { ...link, decision: 'approve', name: 'Olga', changeRef: ' CHG0001234 ' });
    expect(ok.status).toBe(200);
    expect(d.audit.entries[0]).toMatchObject({ changeRef: 'CHG0001234', decision: 'approve' });
    expect((await d.gates.get(gateId))?.decision?.changeRef).toBe('CHG0001234');
  });

  it('lets a rejection go without a change id (the safe path is never held up)', async () => {
    const { d, links } = await at('GO_NO_GO', { people: ['cab@example.com'], changeRef: '^CHG[0-9]{7}$' });
    expect((await decideByLink(d, { ...links['cab@example.com']!, decision: 'reject', name: 'Cab' })).status).toBe(200);
  });
});
