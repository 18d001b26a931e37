import { describe, expect, it } from 'vitest';
import { auditCsv, auditReport, csvField } from '../../src/core/audit.ts';
import { decideByLink, ensureRequested, openLink } from '../../src/core/approvals.ts';
import { arriveAtGate } from '../../src/core/gates.ts';
import type { GateKind } from '../../src/ports.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';

const id = 's-00000000000000001';

async function linkAt(gate: GateKind) {
  const d = fakeDeps({ start: '2026-12-01T00:00:00.000Z' });
  d.mgn.servers.set(id, serverView(id, { lifeCycle: 'READY_FOR_CUTOVER' }));
  const { gate: g } = await arriveAtGate(d, { serverId: id, executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:x', state: 'Gate', token: 't', wave: 'wave-1', application: 'billing', gate, round: '1', members: [id], timeoutSeconds: 86400, approvers: ['qa-lead@example.com'] });
  await ensureRequested(d, g);
  const url = new URL(/https:\/\/\S+/.exec(d.approvals.messages[0]?.text ?? '')?.[0] as string);
  return { d, link: { id: url.pathname.split('/').pop() as string, sig: url.searchParams.get('sig') as string } };
}

describe('the approvals audit', () => {
  it('records the link approver and the typed name apart, and a sign-off without go/no-go fields', async () => {
    const { d, link } = await linkAt('SIGNOFF');
    // the page's form always sends the checkboxes; a sign-off takes none of them
    const r = await decideByLink(d, { ...link, decision: 'approve', name: 'Quinn QA', quiesced: false, acceptMissing: ['s-00000000000000009'], terminateInstances: false });
    expect(r.status).toBe(200);
    const [entry] = d.audit.entries;
    expect(entry).toMatchObject({ approver: 'qa-lead@example.com', name: 'Quinn QA', by: 'Quinn QA <qa-lead@example.com>', channel: 'link', linkId: link.id });
    expect(Object.keys(entry ?? {})).not.toEqual(expect.arrayContaining(['quiesced']));
    expect(entry).not.toHaveProperty('acceptMissing');
    expect(entry).not.toHaveProperty('terminateInstances');
    expect([...d.gates.gates.values()][0]?.decision).not.toHaveProperty('quiesced');
  });

  it('keeps terminateInstances on a finalize rejection only', async () => {
    const { d, link } = await linkAt('FINALIZE');
    await decideByLink(d, { ...link, decision: 'reject', name: 'Olga', terminateInstances: true, quiesced: true });
    expect(d.audit.entries[0]).toMatchObject({ terminateInstances: true });
    expect(d.audit.entries[0]).not.toHaveProperty('quiesced');
  });

  it('counts refusals per gate and status; a forged link names no gate', async () => {
    const { d, link } = await linkAt('SIGNOFF');
    await decideByLink(d, { ...link, decision: 'approve', name: '' }); // 400: no name
    await decideByLink(d, { ...link, decision: 'approve', name: 'Quinn' });
    await openLink(d, link.id, link.sig); // 409
    await openLink(d, link.id, link.sig); // 409
    await openLink(d, link.id, `${link.sig.slice(0, -1)}B`); // 403
    const report = await auditReport(d);
    expect(report.refusals.map((r) => [r.gateId, r.status, r.count])).toEqual([
      ['-', 403, 1],
      ['wave-1#billing#SIGNOFF#1', 400, 1],
      ['wave-1#billing#SIGNOFF#1', 409, 2],
    ]);
    expect((await auditReport(d, { wave: 'wave-9' })).decisions).toEqual([]);
  });

  it('writes CSV a spreadsheet cannot run: quoted per RFC 4180, formulas defused', async () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-1+2')).toBe("'-1+2");
    const { d, link } = await linkAt('SIGNOFF');
    await decideByLink(d, { ...link, decision: 'approve', name: '@Quinn', comment: 'line 1\nline 2' });
    const csv = auditCsv(await auditReport(d));
    expect(csv.split('\r\n')[1]).toContain(",qa-lead@example.com,'@Quinn,,line 1 line 2,,link,");
  });
});
