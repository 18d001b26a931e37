import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createAuditLog, createDocumentClient } from '../../src/adapters/aws/stores.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { formBody, linksIn, type LinkDecision } from '../../src/local/approver.ts';
import { serverIds, startServers, statePath, until, withCloud } from './lifecycle-helpers.ts';

/**
 * A change board at the gates, on the local cloud (the API, the approval page handler, DynamoDB and the
 * executions are real): a 2-of-3 go/no-go, and a finalize that needs a change id.
 */
const CAB = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

const linkFor = (cloud: LocalCloud, gate: string, approver: string, kind = 'request') =>
  linksIn(cloud.sns.outbox().find((m) => m.attributes.kind?.StringValue === kind && m.attributes.gate?.StringValue === gate && m.attributes.approver?.StringValue === approver)?.message ?? '')[0];

async function post(url: string, d: LinkDecision): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const r = await fetch(new URL(u.pathname, u.origin), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'vitest' }, body: formBody(u.searchParams.get('sig') ?? '', d) });
  return { status: r.status, body: await r.text() };
}

async function audit(cloud: LocalCloud) {
  const ddb = new DynamoDBClient({ region: cloud.info.region, endpoint: cloud.endpoints.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    return await createAuditLog(createDocumentClient(ddb), String(cloud.env.STATE_TABLE)).list();
  } finally {
    ddb.destroy();
  }
}

describe('a change board at the gates', () => {
  it('2 of 3 at the go/no-go: an early reject and an approval are recorded and shown, a late approval decides; the finalize is refused without a valid change id, then accepted with one', { timeout: 90_000 }, async () => {
    await withCloud({ servers: 2, applications: 1 }, async (cloud) => {
      const ids = serverIds(cloud);
      const arns = startServers(cloud, {
        ids,
        plan: {
          soakSeconds: 3600,
          gateTimeoutSeconds: 2 * 86400,
          approvers: {
            testSignoff: ['qa-lead@example.com'],
            // one rejection does not decide here: the plan says two
            goNoGo: { people: CAB, quorum: 2, rejects: 2 },
            finalize: { people: ['ops-lead@example.com'], quorum: 1, rejects: 1, changeRef: '^CHG[0-9]{7}$' },
          },
        },
      });

      await until('the sign-off request', () => linkFor(cloud, 'SIGNOFF', 'qa-lead@example.com') !== undefined);
      expect((await post(linkFor(cloud, 'SIGNOFF', 'qa-lead@example.com') as string, { decision: 'approve', name: 'Quinn QA' })).status).toBe(200);

      // the go/no-go asks each of the three
      await until('the go/no-go requests', () => CAB.every((p) => linkFor(cloud, 'GO_NO_GO', p) !== undefined), 45_000);
      const [alice, bob, carol] = CAB.map((p) => linkFor(cloud, 'GO_NO_GO', p) as string) as [string, string, string];
      const early = await post(carol, { decision: 'reject', name: 'Carol CAB', comment: 'rollback plan missing' });
      expect(early.status).toBe(200);
      expect(early.body).toContain('Your decision is recorded: reject');
      expect(early.body).toContain('0 of 3 approved so far; the gate decides when 2 approve or 2 reject');
      const first = await post(alice, { decision: 'approve', name: 'Alice CAB', quiesced: true });
      expect(first.status).toBe(200);
      expect(first.body).toContain('1 of 3 approved so far');
      // nothing moved: the servers wait at the go/no-go
      expect(arns.every((a) => statePath(cloud, a).at(-1) === 'GoNoGo')).toBe(true);
      // Bob's page shows every decision so far
      const page = await (await fetch(bob)).text();
      expect(page).toContain('2 of 3 approvers must approve.');
      expect(page).toContain('1 of 3 approved (2 needed, 2 rejections decide reject): approve by Alice CAB &lt;alice@example.com&gt;; reject by Carol CAB &lt;carol@example.com&gt;');

      // Bob is late: only his link is reminded, then he approves and the gate decides, once
      await until('the reminder of the go/no-go', () => cloud.sns.outbox().some((m) => m.attributes.kind?.StringValue === 'reminder-50' && m.attributes.gate?.StringValue === 'GO_NO_GO'), 45_000);
      expect(cloud.sns.outbox().filter((m) => m.attributes.kind?.StringValue === 'reminder-50' && m.attributes.gate?.StringValue === 'GO_NO_GO').map((m) => m.attributes.approver?.StringValue)).toEqual(['bob@example.com']);
      const late = await post(bob, { decision: 'approve', name: 'Bob CAB', quiesced: true });
      expect(late.status).toBe(200);
      expect(late.body).toContain('The gate decided: 2 of 3 approved, 1 rejected (2 needed).');
      await until('past the go/no-go', () => arns.every((a) => statePath(cloud, a).includes('Quiesce')), 45_000);
      expect((await fetch(carol)).status).toBe(409);

      // the finalize needs a change id: refused without one (400, nothing decided), and with a wrong one
      await until('the finalize request', () => linkFor(cloud, 'FINALIZE', 'ops-lead@example.com') !== undefined, 60_000);
      const fin = linkFor(cloud, 'FINALIZE', 'ops-lead@example.com') as string;
      expect(await (await fetch(fin)).text()).toContain('Change id (required to approve; pattern <code>^CHG[0-9]{7}$</code>)');
      const none = await post(fin, { decision: 'approve', name: 'Olga Ops' });
      expect(none.status).toBe(400);
      expect(none.body).toContain('needs a change id matching ^CHG[0-9]{7}$');
      const wrong = await post(fin, { decision: 'approve', name: 'Olga Ops', changeRef: 'CHG12' });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toContain('change id &quot;CHG12&quot; does not match');
      const ok = await post(fin, { decision: 'approve', name: 'Olga Ops', changeRef: 'CHG0001234' });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('change CHG0001234');
      for (const a of arns) {
        const r = await cloud.host.settled(a);
        expect(r.status).toBe('SUCCEEDED');
        expect(statePath(cloud, a)).toContain('FinalizeCutover');
      }

      // the audit: every individual decision, approver and typed name apart, the change id
      // (two posts in the same simulated millisecond: ordered by how far the tally had come)
      const seen = (e: { quorum?: { approvals: number; rejections: number } }) => (e.quorum ? e.quorum.approvals + e.quorum.rejections : 0);
      const entries = (await audit(cloud)).sort((a, b) => a.at.localeCompare(b.at) || seen(a) - seen(b));
      expect(entries.map((e) => [e.gate, e.approver, e.name, e.decision, e.quorum?.decided ?? null, e.changeRef ?? null])).toEqual([
        ['SIGNOFF', 'qa-lead@example.com', 'Quinn QA', 'approve', null, null],
        ['GO_NO_GO', 'carol@example.com', 'Carol CAB', 'reject', false, null],
        ['GO_NO_GO', 'alice@example.com', 'Alice CAB', 'approve', false, null],
        ['GO_NO_GO', 'bob@example.com', 'Bob CAB', 'approve', true, null],
        ['FINALIZE', 'ops-lead@example.com', 'Olga Ops', 'approve', null, 'CHG0001234'],
      ]);
      expect(entries.find((e) => e.gate === 'GO_NO_GO' && e.decision === 'reject')?.released).toEqual([]);
      expect(entries.find((e) => e.name === 'Bob CAB')?.released.sort()).toEqual([...ids].sort());
    });
  });
});
