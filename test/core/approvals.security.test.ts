import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { createApprovalNotifier } from '../../src/adapters/aws/notifier.ts';
import { confirmationPage, refusalPage } from '../../src/core/approval-page.ts';
import { checkLink, decideByLink, ensureRequested, gatherEvidence } from '../../src/core/approvals.ts';
import { arriveAtGate } from '../../src/core/gates.ts';
import { cleanComment, cleanName, shellQuote, visible } from '../../src/core/text.ts';
import { gateInbox } from '../../src/dashboard/inbox.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';

const ids = ['s-00000000000000001', 's-00000000000000002'];
const ESC = '\u001b';
/** A window-title escape, a bell, a hidden-text SGR and a right-to-left override: what an attacker types. */
const HOSTILE = `${ESC}]0;owned${String.fromCharCode(7)}Mallory${ESC}[8m hidden${ESC}[0m \u202Eevil`;

async function parkedAt(application: string) {
  const d = fakeDeps({ start: '2026-12-01T00:00:00.000Z' });
  for (const id of ids) d.mgn.servers.set(id, serverView(id, { lifeCycle: 'READY_FOR_CUTOVER' }));
  let gate;
  for (const id of ids) {
    gate = (
      await arriveAtGate(d, {
        serverId: id,
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:m:${id}`,
        state: 'GoNoGo',
        token: `token-${id}`,
        wave: 'wave-1',
        application,
        gate: 'GO_NO_GO',
        round: '1-0',
        members: ids,
        timeoutSeconds: 86400,
      })
    ).gate;
  }
  await ensureRequested(d, gate!);
  const url = new URL(/https:\/\/\S+/.exec(d.approvals.messages[0]?.text ?? '')?.[0] as string);
  return { d, gate: gate!, link: { id: url.pathname.split('/').pop() as string, sig: url.searchParams.get('sig') as string } };
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('finding 1: one canonical spelling of a link signature', () => {
  it('refuses the three other spellings of the last character (the two bits base64url leaves unused) and accepts the canonical one', async () => {
    const { d, link } = await parkedAt('billing');
    const last = B64URL.indexOf(link.sig.at(-1) as string);
    // 43 characters carry 258 bits for a 256-bit HMAC: the last character's two low bits are padding
    expect(last & 3).toBe(0);
    const others = [1, 2, 3].map((low) => link.sig.slice(0, -1) + B64URL[last | low]);
    for (const sig of others) {
      // they decode to the very same bytes, which is why comparing decoded bytes accepted them
      expect(Buffer.from(sig, 'base64url').equals(Buffer.from(link.sig, 'base64url'))).toBe(true);
      expect(await checkLink(d, link.id, sig)).toEqual({ status: 403 });
      expect(await decideByLink(d, { id: link.id, sig, decision: 'reject', name: 'Mallory' })).toEqual({ status: 403 });
    }
    expect((await checkLink(d, link.id, link.sig)).status).toBe(200);
    expect(d.audit.entries).toHaveLength(0);
  });
});

describe('finding 2: no shell command built from names in the dashboard inbox', () => {
  it("quotes a gate id holding x'$(cmd)' as one shell word: pasted, it runs nothing and names the gate", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-inbox-'));
    const marker = join(dir, 'pwned');
    const { d, gate } = await parkedAt(`x'$(touch ${marker})'`);
    const [item] = (await gateInbox(d)()) as { summary: string }[];
    const command = /From a terminal: (mgn-flow approvals approve .*)$/.exec(item?.summary ?? '')?.[1] as string;
    expect(command).toBe(`mgn-flow approvals approve ${shellQuote(gate.id)}`);
    // the shell sees the id as one literal argument: printed back exactly, the command substitution never run
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', `printf '%s\\n' ${command.slice('mgn-flow approvals approve '.length)}`]);
    expect(stdout).toBe(`${gate.id}\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('quotes every quote, and shows control characters escaped rather than pasting them', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    expect(shellQuote(`a${ESC}b`)).toBe(`'a\\u001bb'`);
  });
});

describe('finding 3: control characters stripped on input, escaped on every output', () => {
  it('stores the typed name and comment without control or reordering characters (the page POST)', async () => {
    const { d, link } = await parkedAt('billing');
    const r = await decideByLink(d, { id: link.id, sig: link.sig, decision: 'reject', name: HOSTILE, comment: `line one\r\nline two${ESC}[2J` });
    expect(r.status).toBe(200);
    const entry = d.audit.entries[0]!;
    expect(entry.by).toBe(']0;ownedMallory[8m hidden[0m evil');
    expect(entry.comment).toBe('line one\nline two[2J');
    expect(JSON.stringify(d.audit.entries)).not.toMatch(/\\u001b|\\u0007|\u202e/);
    expect(cleanName(` \t${ESC}a\u200Bb  c\n`)).toBe('ab c');
    expect(cleanComment('a\r\nb\u0000')).toBe('a\nb');
  });

  it('shows names from MGN or the plan escaped on the page, in the e-mail and on the dashboard', async () => {
    const { d, gate, link } = await parkedAt(`app${ESC}]0;title${String.fromCharCode(7)}`);
    const shown = visible(gate.application);
    expect(shown).toBe('app\\u001b]0;title\\u0007');
    // page
    const checked = await checkLink(d, link.id, link.sig);
    if (checked.status !== 200) throw new Error('link refused');
    const html = confirmationPage({ checked, evidence: await gatherEvidence(d, checked.gate), sig: link.sig });
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(html).toContain(shown);
    expect(refusalPage({ status: 409, by: HOSTILE, at: 'now', decision: 'reject' })).not.toContain(ESC);
    // e-mail (the SNS adapter is the one way out for every message)
    const sent: PublishCommand['input'][] = [];
    const client = { send: async (c: PublishCommand) => void sent.push(c.input) } as unknown as SNSClient;
    const notifier = createApprovalNotifier({ client, opsTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops', dedupe: { once: async () => true, forget: async () => undefined } });
    await notifier.approval({ ...d.approvals.messages[0]!, key: 'k' });
    expect(sent[0]?.Message).toContain(`Application: ${shown}`);
    expect(sent[0]?.Message).not.toContain(ESC);
    // dashboard (its page renders with textContent; the text itself carries no control character)
    const inbox = JSON.stringify(await gateInbox(d)());
    expect(inbox).not.toContain(ESC);
    expect(inbox).toContain('\\\\u001b');
  });
});

describe('hardening of the approval pages', () => {
  it('sends HSTS on every page and refuses an oversized body by its encoded length', async () => {
    const { approvalPage, MAX_BODY_BYTES } = await import('../../functions/approval-page/handler.ts');
    const { d, link } = await parkedAt('billing');
    const event = (method: string, extra: Record<string, unknown> = {}) =>
      ({ requestContext: { http: { method, sourceIp: '198.51.100.7', userAgent: 'vitest' } }, pathParameters: { id: link.id }, queryStringParameters: { sig: link.sig }, headers: { 'content-type': 'application/x-www-form-urlencoded' }, ...extra }) as never;
    const get = await approvalPage(d, event('GET'));
    expect(get.statusCode).toBe(200);
    expect(get.headers?.['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    // one byte over, base64-encoded as API Gateway passes a form: refused, nothing decided
    const body = Buffer.from(`sig=${link.sig}&decision=approve&name=${'a'.repeat(MAX_BODY_BYTES)}`).toString('base64');
    const big = await approvalPage(d, event('POST', { body, isBase64Encoded: true }));
    expect(big.statusCode).toBe(403);
    expect(big.headers?.['strict-transport-security']).toBeDefined();
    expect(d.audit.entries).toHaveLength(0);
  });
});
