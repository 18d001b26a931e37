import { describe, expect, it } from 'vitest';
import { checkLink, decideByLink, ensureRequested, type LinkPost, recordDecision, remindOpenGates, signLink } from '../../src/core/approvals.ts';
import { arriveAtGate, gateId } from '../../src/core/gates.ts';
import { InvalidDecisionError } from '../../src/core/errors.ts';
import type { GateKind } from '../../src/ports.ts';
import { fakeDeps, jitter, serverView } from '../helpers/fakes.ts';

const ids = ['s-00000000000000001', 's-00000000000000002', 's-00000000000000003', 's-00000000000000004', 's-00000000000000005'];
const DAY = 86400;

/** An application of `n` servers parked at a gate, its request sent; returns the links from the messages. */
async function parked(opts: { gate?: GateKind; n?: number; arrive?: number; approvers?: string[]; timeoutSeconds?: number; waitSeconds?: number } = {}) {
  const d = fakeDeps({ start: '2026-12-01T00:00:00.000Z' });
  const members = ids.slice(0, opts.n ?? 5);
  for (const id of members) d.mgn.servers.set(id, serverView(id, { lifeCycle: 'READY_FOR_CUTOVER', hostname: `host-${id.slice(-1)}` }));
  const gate = opts.gate ?? 'GO_NO_GO';
  let last;
  for (const id of members.slice(0, opts.arrive ?? members.length)) {
    last = await arriveAtGate(d, {
      serverId: id,
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:m:${id}`,
      state: 'GoNoGo',
      token: `token-${id}`,
      wave: 'wave-1',
      application: 'billing',
      gate,
      round: '1-0',
      members,
      timeoutSeconds: opts.timeoutSeconds ?? 2 * DAY,
      ...(opts.waitSeconds ? { waitSeconds: opts.waitSeconds } : {}),
      approvers: opts.approvers ?? [],
    });
    await ensureRequested(d, last.gate);
  }
  const id = gateId({ wave: 'wave-1', application: 'billing', gate, round: '1-0' });
  if ((opts.arrive ?? members.length) < members.length) {
    // not all there: no request yet; the reconciler sends it once the arrival hour passed
    expect(d.approvals.messages).toHaveLength(0);
    d.clock.advance(3600);
    await remindOpenGates(d);
  }
  const links = d.approvals.messages.map((m) => {
    const url = new URL(/https:\/\/\S+/.exec(m.text)?.[0] as string);
    return { approver: m.approver, id: url.pathname.split('/').pop() as string, sig: url.searchParams.get('sig') as string };
  });
  return { d, id, members, links };
}

/** Everything a refusal must leave as it was. */
function snapshot(d: ReturnType<typeof fakeDeps>) {
  return JSON.stringify({ gates: [...d.gates.gates.values()], links: [...d.links.links.values()], audit: d.audit.entries, callbacks: d.callbacks.calls });
}

const post = (l: { id: string; sig: string }, extra: Partial<LinkPost> = {}): LinkPost => ({ id: l.id, sig: l.sig, decision: 'approve', name: 'Alice Admin', quiesced: true, sourceIp: '198.51.100.7', userAgent: 'Mozilla/5.0 test', ...extra });

describe('approval requests', () => {
  it('sends one message per approver the plan names, each with its own link, the evidence and the deadline', async () => {
    const { d, links } = await parked({ approvers: ['bob@example.com', 'alice@example.com'] });
    expect(d.approvals.messages.map((m) => m.approver)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(new Set(links.map((l) => l.id)).size).toBe(2);
    const text = d.approvals.messages[0]?.text ?? '';
    expect(text).toContain('Gate: cutover go/no-go (GO_NO_GO)');
    expect(text).toContain('Application: billing (5 servers)');
    expect(text).toContain('Decide by 2026-12-03T00:00+00:00 (UTC).');
    expect(text).toContain('host-1 (s-00000000000000001): READY_FOR_CUTOVER; replication CONTINUOUS');
    expect(text).toContain('This link is for alice@example.com alone');
    expect(text).not.toContain('token-');
    // once per gate, however many servers arrive
    expect(d.approvals.messages).toHaveLength(2);
  });

  it('sends one message for the gate when the plan names nobody', async () => {
    const { d } = await parked();
    expect(d.approvals.messages.map((m) => m.approver)).toEqual(['any']);
  });
});

describe('approval links', () => {
  it('GET (checkLink) never decides', async () => {
    const { d, links } = await parked();
    const before = snapshot(d);
    const r = await checkLink(d, links[0]!.id, links[0]!.sig);
    expect(r.status).toBe(200);
    expect(snapshot(d)).toBe(before);
  });

  it('refuses forged, tampered, unknown and cross-gate links alike, changing nothing', async () => {
    const a = await parked({ approvers: ['alice@example.com', 'bob@example.com'] });
    const { d, links } = a;
    const [l1, l2] = links as unknown as [{ id: string; sig: string }, { id: string; sig: string }];
    const before = snapshot(d);
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const forgedSig = signLink(Buffer.alloc(32, 1), { ...(await d.links.get(l1.id))! });
    const cases: [string, string, string][] = [
      ['forged', l1.id, forgedSig],
      ['tampered sig', l1.id, flip(l1.sig)],
      ['tampered id', flip(l1.id), l1.sig],
      ['unknown', 'AAAAAAAAAAAAAAAAAAAAAA', l1.sig],
      ['cross-link', l1.id, l2.sig],
      ['malformed', '../etc', 'x'],
    ];
    for (const [, id, sig] of cases) {
      expect(await checkLink(d, id, sig)).toEqual({ status: 403 });
      expect(await decideByLink(d, post({ id, sig }))).toEqual({ status: 403 });
    }
    // a link of another gate
    const other = await parked({ gate: 'FINALIZE' });
    await d.links.create({ ...(await other.d.links.get(other.links[0]!.id))! });
    expect(await decideByLink(d, post({ id: other.links[0]!.id, sig: l1.sig }))).toEqual({ status: 403 });
    // a stored link whose choices were changed no longer matches its signature
    const stored = d.links.links.get(l1.id)!;
    stored.choices = ['approve'];
    expect(await checkLink(d, l1.id, l1.sig)).toEqual({ status: 403 });
    stored.choices = ['approve', 'reject'];
    // a decision the link does not carry is a tampered request
    expect(await decideByLink(d, post(l1, { decision: 'rollback' }))).toEqual({ status: 403 });
    d.links.links.delete(other.links[0]!.id);
    expect(snapshot(d)).toBe(before);
  });

  it('answers 410 once the gate expired, 409 on a replay (who and when), and changes nothing', async () => {
    const { d, links } = await parked({ approvers: ['alice@example.com', 'bob@example.com'] });
    const ok = await decideByLink(d, post(links[0]!));
    expect(ok.status).toBe(200);
    const before = snapshot(d);
    expect(await decideByLink(d, post(links[0]!))).toEqual({ status: 409, by: 'Alice Admin <alice@example.com>', at: '2026-12-01T00:00:00.000Z', decision: 'approve' });
    // another approver's link: the gate is decided
    expect(await decideByLink(d, post(links[1]!, { decision: 'reject' }))).toMatchObject({ status: 409, by: 'Alice Admin <alice@example.com>' });
    expect(snapshot(d)).toBe(before);

    const e = await parked();
    e.d.clock.advance(2 * DAY);
    const before2 = snapshot(e.d);
    const gone = { status: 410, deadline: '2026-12-03T00:00+00:00 (UTC)', reason: 'nobody decided by 2026-12-03T00:00+00:00 (UTC), so the servers took the safe path (no cutover, no finalize)' };
    expect(await checkLink(e.d, e.links[0]!.id, e.links[0]!.sig)).toEqual(gone);
    expect(await decideByLink(e.d, post(e.links[0]!))).toEqual(gone);
    expect(snapshot(e.d)).toBe(before2);
  });

  it('20 concurrent mixed POSTs on one link: one decision, 19 answers of 409', async () => {
    const { d, links } = await parked();
    for (const store of [d.links, d.gates] as unknown as { latency?: unknown }[]) Object.assign(store, { latency: jitter(7) });
    const decisions = ['approve', 'reject'] as const;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => decideByLink(d, post(links[0]!, { decision: decisions[i % 2], name: `approver ${i}` }))));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(409)]);
    const gate = [...d.gates.gates.values()][0]!;
    const winner = results.find((r) => r.status === 200) as { entry: { by: string; decision: string } };
    for (const r of results.filter((x) => x.status === 409)) expect(r).toMatchObject({ by: winner.entry.by, decision: winner.entry.decision });
    expect(gate.decision?.by).toBe(winner.entry.by);
    expect(d.audit.entries).toHaveLength(1);
    // every server released once
    expect(d.callbacks.calls.filter((c) => c.accepted)).toHaveLength(5);
  });

  it('one decision releases the 5 servers of the application together, and the audit log has it all', async () => {
    const { d, id, members, links } = await parked();
    const r = await decideByLink(d, post(links[0]!, { comment: 'smoke tests green' }));
    expect(r.status).toBe(200);
    expect(d.callbacks.succeeded.map((c) => c.token).sort()).toEqual(members.map((m) => `token-${m}`));
    expect(d.audit.entries).toEqual([
      {
        gateId: id,
        gate: 'GO_NO_GO',
        wave: 'wave-1',
        application: 'billing',
        decision: 'approve',
        approver: '*',
        name: 'Alice Admin',
        by: 'Alice Admin',
        at: '2026-12-01T00:00:00.000Z',
        comment: 'smoke tests green',
        channel: 'link',
        linkId: links[0]!.id,
        sourceIp: '198.51.100.7',
        userAgent: 'Mozilla/5.0 test',
        quiesced: true,
        released: members,
        // the evidence as it was when decided
        evidence: expect.objectContaining({ collectedAt: '2026-12-01T00:00:00.000Z', missing: [] }),
      },
    ]);
  });

  it('asks for the name and the quiesce confirmation before deciding (400, nothing changed)', async () => {
    const { d, links } = await parked();
    const before = snapshot(d);
    const r = await decideByLink(d, post(links[0]!, { name: '  ', quiesced: false }));
    expect(r.status).toBe(400);
    expect((r as { problems: string[] }).problems.join(' ')).toMatch(/Type your name.*Confirm that the sources are quiesced/);
    expect(snapshot(d)).toBe(before);
  });

  it('a link signed with the previous key still works after a rotation', async () => {
    const { d, links } = await parked();
    d.keys.rotate('v2', Buffer.alloc(32, 9));
    expect((await checkLink(d, links[0]!.id, links[0]!.sig)).status).toBe(200);
  });
});

describe('partial applications', () => {
  it('a go-ahead with servers missing must name each of them, on the page and in the CLI', async () => {
    const { d, id, members, links } = await parked({ arrive: 3 });
    const missing = members.slice(3);
    const r = await decideByLink(d, post(links[0]!));
    expect(r.status).toBe(400);
    expect((r as { problems: string[] }).problems.join(' ')).toContain(`tick ${missing.join(', ')}`);
    await expect(recordDecision(d, { gateId: id, decision: 'approve', by: 'ops', quiesced: true }, { channel: 'cli' })).rejects.toThrow(InvalidDecisionError);
    await expect(recordDecision(d, { gateId: id, decision: 'approve', by: 'ops', quiesced: true, acceptMissing: [missing[0]!] }, { channel: 'cli' })).rejects.toThrow(missing[1]!);
    const ok = await decideByLink(d, post(links[0]!, { acceptMissing: missing }));
    expect(ok).toMatchObject({ status: 200, released: members.slice(0, 3) });
    expect(d.audit.entries[0]?.acceptMissing).toEqual(missing);
  });

  it('a rejection needs no names', async () => {
    const { d, links } = await parked({ arrive: 2 });
    expect((await decideByLink(d, post(links[0]!, { decision: 'reject', quiesced: false }))).status).toBe(200);
  });
});

describe('reminders, escalation, expiry', () => {
  it('reminds approvers at 50% and 90% of the deadline, escalates to ops at 90%, expires into the safe path', async () => {
    const { d, id, links } = await parked({ approvers: ['alice@example.com', 'bob@example.com'], timeoutSeconds: 10 * DAY });
    const kinds = () => d.approvals.messages.map((m) => m.attributes?.kind);
    await remindOpenGates(d);
    expect(kinds()).toEqual(['request', 'request']);
    d.clock.advance(5 * DAY);
    expect(await remindOpenGates(d)).toEqual({ reminded: 2, escalated: 0, expired: 0 });
    await remindOpenGates(d); // once per mark
    expect(kinds()).toEqual(['request', 'request', 'reminder-50', 'reminder-50']);
    d.clock.advance(4 * DAY);
    expect(await remindOpenGates(d)).toEqual({ reminded: 2, escalated: 1, expired: 0 });
    expect(d.notifier.messages.map((m) => m.subject)).toEqual(['Escalation: GO_NO_GO for billing undecided, 24 h left']);
    // the reminder carries the same, still valid link
    expect(d.approvals.messages.at(-1)?.text).toContain(`/approvals/${links[1]!.id}?sig=${links[1]!.sig}`);
    d.clock.advance(1 * DAY);
    expect(await remindOpenGates(d)).toEqual({ reminded: 0, escalated: 0, expired: 1 });
    expect(d.gates.gates.get(id)?.status).toBe('EXPIRED');
    expect(d.notifier.messages.at(-1)?.subject).toBe('Gate expired: GO_NO_GO for billing');
    expect((await checkLink(d, links[0]!.id, links[0]!.sig)).status).toBe(410);
    await expect(recordDecision(d, { gateId: id, decision: 'reject', by: 'ops' }, { channel: 'cli' })).rejects.toThrow(/expired/);
  });

  it('a sign-off requested when the soak starts counts its reminders from the end of the soak', async () => {
    const { d } = await parked({ gate: 'SIGNOFF', waitSeconds: 14 * DAY, timeoutSeconds: 14 * DAY + 4 * DAY });
    d.clock.advance(14 * DAY);
    expect((await remindOpenGates(d)).reminded).toBe(0);
    d.clock.advance(2 * DAY);
    expect((await remindOpenGates(d)).reminded).toBe(1);
  });

  it('a reconciler that missed the 50% mark sends only the 90% reminder', async () => {
    const { d } = await parked({ timeoutSeconds: 10 * DAY });
    d.clock.advance(9.5 * DAY);
    await remindOpenGates(d);
    expect(d.approvals.messages.map((m) => m.attributes?.kind)).toEqual(['request', 'reminder-90']);
  });
});

describe('the page after the cutover window closed (issue 13)', () => {
  it('a cutover failure gate highlights roll back once the window has closed, retry before', async () => {
    const { primaryChoice, refusalPage } = await import('../../src/core/approval-page.ts');
    const gate = { gate: 'CUTOVER_FAILURE' as const, window: { end: '2026-12-05T05:00:00.000Z' } };
    expect(primaryChoice(['retry', 'rollback', 'stop'], gate, Date.parse('2026-12-05T04:59:00.000Z'))).toBe('retry');
    expect(primaryChoice(['retry', 'rollback', 'stop'], gate, Date.parse('2026-12-05T05:00:00.000Z'))).toBe('rollback');
    expect(primaryChoice(['approve', 'reject'], { gate: 'GO_NO_GO', window: gate.window }, Date.parse('2026-12-06T00:00:00.000Z'))).toBe('approve');
    const html = refusalPage({ status: 410, deadline: '2026-12-05T06:00+01:00 (Europe/Berlin)', reason: 'the go/no-go closed at 2026-12-05T06:00+01:00 (Europe/Berlin), the end of the cutover window' });
    expect(html).toContain('The decision was due by 2026-12-05T06:00+01:00 (Europe/Berlin): the go/no-go closed at');
  });
});
