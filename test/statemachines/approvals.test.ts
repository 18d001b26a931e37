import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, createDocumentClient } from '../../src/adapters/aws/stores.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { formBody, linksIn } from '../../src/local/approver.ts';
import { lifecycleCloud, serverIds, startServers, statePath, until } from './lifecycle-helpers.ts';

/** The approval pages over HTTP on the local cloud: the API, the handler, DynamoDB and the executions are real. */
describe('approval pages: a 5-server application at its sign-off', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 5, applications: 1 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  const post = (url: string, body: string, ua = 'vitest') => fetch(new URL(new URL(url).pathname, url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': ua }, body });

  it('shows the evidence on GET without deciding; refuses bad links alike; 20 concurrent POSTs give one decision that releases all 5', { timeout: 60_000 }, async () => {
    const ids = serverIds(cloud);
    const arns = startServers(cloud, { ids, plan: { soakSeconds: 14 * 86400, approvers: { testSignoff: ['qa-lead@example.com', 'app-owner@example.com'], goNoGo: [], finalize: [] } } });
    await until('the sign-off requests, one per approver', () => cloud.sns.outbox().filter((m) => m.attributes.kind?.StringValue === 'request').length === 2);
    const requests = cloud.sns.outbox().filter((m) => m.attributes.kind?.StringValue === 'request');
    // one message per approver, each with its own link; no task token anywhere
    expect(requests.map((m) => m.attributes.approver?.StringValue).sort()).toEqual(['app-owner@example.com', 'qa-lead@example.com']);
    const [url, other] = requests.map((m) => linksIn(m.message)[0] as string) as [string, string];
    expect(url).not.toBe(other);
    for (const m of requests) expect(m.message).not.toMatch(/token/i);

    // GET (and a scanner's repeated prefetch) shows the page and decides nothing
    for (let i = 0; i < 3; i++) {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      expect(html).toContain('test sign-off: app-1');
      for (const id of ids) expect(html).toContain(id);
      expect(html).toContain('Opening this page decided nothing');
    }
    expect(arns.every((a) => !statePath(cloud, a).includes('SignedOff'))).toBe(true);

    // forged, tampered, unknown and cross-link requests: 403, one body, nothing changed
    const u = new URL(url);
    const o = new URL(other);
    const id = u.pathname.split('/').pop() as string;
    const sig = u.searchParams.get('sig') as string;
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const bad = [
      `${u.origin}/approvals/${id}?sig=${flip(sig)}`,
      `${u.origin}/approvals/${flip(id)}?sig=${sig}`,
      `${u.origin}/approvals/AAAAAAAAAAAAAAAAAAAAAA?sig=${sig}`,
      `${u.origin}/approvals/${id}?sig=${o.searchParams.get('sig')}`,
      `${u.origin}/approvals/${id}`,
    ];
    const bodies = new Set<string>();
    for (const b of bad) {
      const r = await fetch(b);
      expect(r.status).toBe(403);
      bodies.add(await r.text());
      const p = await post(b, formBody(new URL(b).searchParams.get('sig') ?? '', { decision: 'approve', name: 'Mallory' }));
      expect(p.status).toBe(403);
      bodies.add(await p.text());
    }
    // a choice the link does not carry
    const tampered = await post(url, formBody(sig, { decision: 'rollback', name: 'Mallory' }));
    expect(tampered.status).toBe(403);
    bodies.add(await tampered.text());
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).not.toMatch(/sign-off|app-1|s-[0-9a-z]{17}/);

    // 20 concurrent mixed POSTs on one link: one decision, 19 answers of 409
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(url, formBody(sig, { decision: i % 2 ? 'reject' : 'approve', name: `Approver ${i}` }), `browser-${i}`).then(async (r) => ({ status: r.status, body: await r.text() }))));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
    const won = answers.find((a) => a.status === 200)?.body ?? '';
    const decision = /Decision recorded: (approve|reject)/.exec(won)?.[1];
    const by = /by (Approver \d+ &lt;[^&]+&gt;)/.exec(won)?.[1];
    expect(decision).toBeDefined();
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body).toContain(`${decision}</strong> by ${by}`);
    // the other approver's link now answers 409 too
    expect((await fetch(other)).status).toBe(409);

    // one decision released the five servers together
    const next = decision === 'approve' ? 'SignedOff' : 'SignoffDecision';
    await until('the five servers moving on', () => arns.every((a) => statePath(cloud, a).includes(next)));

    // the audit log has the decision: who, when, comment, source address, user agent, link id
    const ddb = new DynamoDBClient({ region: cloud.info.region, endpoint: cloud.endpoints.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const audit = await createAuditLog(createDocumentClient(ddb), String(cloud.env.STATE_TABLE)).list();
    ddb.destroy();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ gate: 'SIGNOFF', application: 'app-1', decision, channel: 'link', linkId: id, sourceIp: '127.0.0.1' });
    expect(audit[0]?.userAgent).toMatch(/^browser-\d+$/);
    expect(audit[0]?.released.sort()).toEqual([...ids].sort());
  });
});

describe('approval reminders on the local cloud', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 1, applications: 1 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('nobody decides: reminders at 50% and 90% (the reconciler), escalation to ops, expiry to the safe path, the link answers 410', { timeout: 60_000 }, async () => {
    const [arn] = startServers(cloud, { plan: { soakSeconds: 3600, gateTimeoutSeconds: 4 * 3600, approvers: { testSignoff: ['qa-lead@example.com'], goNoGo: [], finalize: [] } } }) as [string];
    const r = await cloud.host.settled(arn);
    expect({ status: r.status, error: r.error }).toEqual({ status: 'FAILED', error: 'GateExpired' });
    const kinds = cloud.sns.outbox({ topicArn: String(cloud.env.APPROVAL_TOPIC_ARN) }).map((m) => m.attributes.kind?.StringValue);
    expect(kinds).toEqual(['request', 'reminder-50', 'reminder-90']);
    const ops = cloud.sns.outbox({ topicArn: String(cloud.env.OPS_TOPIC_ARN) }).map((m) => String(m.subject));
    expect(ops.filter((s) => /^Escalation: SIGNOFF for app-1 undecided, [\d.]+ h left$/.test(s))).toHaveLength(1);
    // the reminders come at their marks of the decision time (from the end of the soak to the deadline)
    const at = (kind: string) => Date.parse(cloud.sns.outbox().find((m) => m.attributes.kind?.StringValue === kind)?.at as string);
    const soakEnd = at('request') + 3600_000 - 120_000; // the request goes out a moment after the soak starts
    expect(at('reminder-50')).toBeGreaterThanOrEqual(soakEnd + 0.5 * 4 * 3600_000);
    expect(at('reminder-90')).toBeGreaterThanOrEqual(soakEnd + 0.9 * 4 * 3600_000);
    const url = linksIn(cloud.sns.outbox().find((m) => m.attributes.kind?.StringValue === 'reminder-90')?.message ?? '')[0] as string;
    await until('the gate marked expired', async () => (await fetch(url)).status === 410);
    // ops are told how it ended (the reconciler's "Gate expired" when it gets there first, else the execution's end)
    await until('ops told of the expiry', () => cloud.sns.outbox({ topicArn: String(cloud.env.OPS_TOPIC_ARN) }).some((m) => m.subject === 'Gate expired: SIGNOFF for app-1' || m.message.includes('GateExpired')));
  });
});
