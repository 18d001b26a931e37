import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { mgnCalls, repoRoot, serverIds, startServers, statePath, until } from '../statemachines/lifecycle-helpers.ts';
import { type CliCloud, cliCloud } from './cloud-helpers.ts';
import { run } from './helpers.ts';
import { linksIn } from '../../src/local/approver.ts';
import { deadlineText } from '../../src/core/gates.ts';

interface ListedGate {
  id: string;
  gate: string;
  wave: string;
  application: string;
  servers: string[];
  atGate: number;
  choices: string[];
  approvers: string[];
  openedAt: string;
  deadline: string;
}

/** `approvals list --json`: one JSON document on stdout, nothing on stderr. */
async function listed(): Promise<ListedGate[]> {
  const r = await run(['--json', 'approvals', 'list']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as ListedGate[];
}

/** The command as a person's shell runs it: its own process, in the directory holding `.mgn-flow/local.json`. */
async function runProcess(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [resolve(repoRoot, 'bin/mgn-flow.js'), ...args], { cwd, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The open gate of this kind once every server of the application is parked at it. */
async function openGate(kind: string, timeoutMs = 45_000): Promise<ListedGate> {
  let found: ListedGate | undefined;
  await until(
    `the ${kind} gate with every server at it`,
    async () => {
      found = (await listed()).find((g) => g.gate === kind && g.atGate === g.servers.length);
      return found !== undefined;
    },
    timeoutMs,
  );
  return found as ListedGate;
}

/** mgn-flow approvals against a real local cloud, found through `.mgn-flow/local.json` as a shell would. */
describe('mgn-flow approvals list|approve|reject|decide on the local cloud', () => {
  let env: CliCloud;
  let cloud: LocalCloud;
  let ids: string[];
  let arns: string[];
  let signoff: ListedGate;

  beforeAll(async () => {
    env = await cliCloud({ servers: 3, applications: 1, timeScale: 3000 });
    cloud = env.cloud;
    ids = serverIds(cloud);
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('lists nothing while no gate waits (human and --json)', async () => {
    const human = await run(['approvals', 'list']);
    expect(human).toEqual({ code: 0, stdout: 'no gate waits for a decision\n', stderr: '' });
    expect(await listed()).toEqual([]);
    expect((await run(['approvals', 'list', '--wave', 'wave-9'])).stdout).toBe('no gate waits for a decision in wave wave-9\n');
  });

  it('lists the sign-off gate: what, for which servers, whom, until when', { timeout: 60_000 }, async () => {
    arns = startServers(cloud, { ids, plan: { soakSeconds: 14 * 86400, approvers: { testSignoff: ['qa-lead@example.com'], goNoGo: [], finalize: [] } } });
    signoff = await openGate('SIGNOFF');
    expect(signoff).toMatchObject({ id: 'wave-1#app-1#SIGNOFF#1', gate: 'SIGNOFF', wave: 'wave-1', application: 'app-1', atGate: 3, choices: ['approve', 'reject'], approvers: ['qa-lead@example.com'] });
    expect([...signoff.servers].sort()).toEqual([...ids].sort());
    expect(Date.parse(signoff.deadline)).toBeGreaterThan(Date.parse(signoff.openedAt));

    const human = await run(['approvals', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(
      `${signoff.id}\n  SIGNOFF for app-1 (wave wave-1): 3 of 3 server(s) at the gate; choices approve, reject; asked qa-lead@example.com; decide by ${deadlineText({ deadline: signoff.deadline })}\n`,
    );
    // --wave filters; global --json after the command works too
    expect((await run(['approvals', 'list', '--wave', 'wave-9'])).stdout).toMatch(/^no gate waits/);
    expect(JSON.parse((await run(['approvals', 'list', '--json'])).stdout)).toHaveLength(1);
  });

  it('refuses to decide without --as (2), an unknown gate (3), a choice the command does not offer (2), a choice the gate does not allow (2); nothing decided', async () => {
    const noAs = await run(['approvals', 'approve', signoff.id]);
    expect(noAs.code).toBe(2);
    expect(noAs.stdout).toBe('');
    expect(noAs.stderr).toContain('error: say who decides with --as <name>');
    expect(noAs.stderr).toContain("Run 'mgn-flow approvals approve --help' for usage.");

    const unknown = await run(['approvals', 'approve', 'wave-1#app-1#SIGNOFF#9', '--as', 'Alice Admin']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("no gate wave-1#app-1#SIGNOFF#9: 'mgn-flow approvals list' shows the open gates");

    const badChoice = await run(['approvals', 'decide', signoff.id, 'maybe', '--as', 'Alice Admin']);
    expect(badChoice.code).toBe(2);
    expect(badChoice.stderr).toMatch(/value 'maybe' is invalid for argument 'choice'\. Allowed choices are retry, rollback, stop\./);

    const notAllowed = await run(['approvals', 'decide', signoff.id, 'retry', '--as', 'Alice Admin']);
    expect(notAllowed.code).toBe(2);
    expect(notAllowed.stderr).toContain('retry is not allowed at SIGNOFF; allowed: approve, reject');

    const badFlag = await run(['approvals', 'approve', signoff.id, '--as', 'Alice Admin', '--accept-missing', 'web-01']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--accept-missing web-01: a source server id such as s-1234567890abcdef0');

    expect((await listed()).map((g) => g.id)).toEqual([signoff.id]);
    expect(arns.every((a) => !statePath(cloud, a).includes('SignedOff'))).toBe(true);
  });

  it('approves with --json: one audit entry document; the servers move on together', { timeout: 30_000 }, async () => {
    const r = await run(['--json', 'approvals', 'approve', signoff.id, '--as', 'Alice Admin', '--comment', 'tests passed']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const entry = JSON.parse(r.stdout) as Record<string, unknown> & { released: string[] };
    expect(entry).toMatchObject({ gateId: signoff.id, gate: 'SIGNOFF', wave: 'wave-1', application: 'app-1', decision: 'approve', by: 'Alice Admin', channel: 'cli', comment: 'tests passed', userAgent: 'mgn-flow-cli' });
    expect(Date.parse(String(entry.at))).not.toBeNaN();
    expect([...entry.released].sort()).toEqual([...ids].sort());
    await until('every server signed off', () => arns.every((a) => statePath(cloud, a).includes('SignedOff')));
  });

  it('refuses a second decision with 4, naming who decided and when', async () => {
    const again = await run(['approvals', 'approve', signoff.id, '--as', 'Bob Builder']);
    expect(again.code).toBe(4);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(new RegExp(`^error: ${signoff.id} is already decided: approve by Alice Admin at \\d{4}-\\d\\d-\\d\\dT`));
    const reject = await run(['approvals', 'reject', signoff.id, '--as', 'Bob Builder']);
    expect(reject.code).toBe(4);
  });

  it('refuses a go/no-go approval without --quiesced (2), then approves it with, from a separate process (human output)', { timeout: 90_000 }, async () => {
    const go = await openGate('GO_NO_GO');
    const noQuiesce = await run(['approvals', 'approve', go.id, '--as', 'Carol CAB']);
    expect(noQuiesce.code).toBe(2);
    expect(noQuiesce.stderr).toContain('approving the go/no-go needs the quiesce confirmation');
    expect((await listed()).some((g) => g.id === go.id)).toBe(true);

    // from its own process, whose clock is the wall clock, not the local cloud's simulated one
    const ok = await runProcess(['approvals', 'approve', go.id, '--as', 'Carol CAB', '--quiesced'], env.dir);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(new RegExp(`^${go.id}: approve by Carol CAB; 3 server\\(s\\) move on: s-`));
    for (const id of ids) expect(ok.stdout).toContain(id);
  });

  it('rejects the finalize gate with --terminate-instances: the servers revert and their cutover instances are terminated', { timeout: 90_000 }, async () => {
    const fin = await openGate('FINALIZE', 60_000);
    const terminatedBefore = mgnCalls(cloud, 'TerminateTargetInstances').filter((c) => c.status < 300).flatMap((c) => c.ids ?? []);
    const r = await run(['approvals', 'reject', fin.id, '--as', 'Olga Ops', '--terminate-instances', '--comment', 'smoke tests failed on the cutover']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${fin.id}: reject by Olga Ops; 3 server\\(s\\) move on`));
    await until('every server reverted', () => arns.every((a) => statePath(cloud, a).includes('RevertFinalize')), 30_000);
    expect(arns.every((a) => !statePath(cloud, a).includes('FinalizeCutover'))).toBe(true);
    await until(
      'the cutover instances terminated',
      () => {
        const after = mgnCalls(cloud, 'TerminateTargetInstances').filter((c) => c.status < 300).flatMap((c) => c.ids ?? []);
        return ids.every((id) => after.filter((x) => x === id).length > terminatedBefore.filter((x) => x === id).length);
      },
      30_000,
    );
    // --terminate-instances belongs to reject: approve does not take it
    const wrong = await run(['approvals', 'approve', fin.id, '--as', 'Olga Ops', '--terminate-instances']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/unknown option '--terminate-instances'/);
  });
  it('lists the audit as JSON and CSV: approver and typed name apart, only each gate kind\'s fields, refusals counted', { timeout: 30_000 }, async () => {
    // two refused page requests: the used sign-off link (409, its gate known) and a forged one (403, no gate)
    const request = cloud.sns.outbox().find((m) => m.attributes.kind?.StringValue === 'request' && m.attributes.gate?.StringValue === 'SIGNOFF');
    const url = linksIn(request?.message ?? '')[0] as string;
    expect((await fetch(url)).status).toBe(409);
    expect((await fetch(url)).status).toBe(409);
    expect((await fetch(url.replace(/sig=./, 'sig=Z'))).status).toBe(403);

    const r = await run(['approvals', 'audit', '--json', '--wave', 'wave-1']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { decisions: Record<string, unknown>[]; refusals: { gateId: string; status: number; count: number }[] };
    expect(report.decisions.map((e) => [e.gate, e.decision, e.approver, e.name])).toEqual([
      ['SIGNOFF', 'approve', 'local:Alice Admin', 'Alice Admin'],
      ['GO_NO_GO', 'approve', 'local:Carol CAB', 'Carol CAB'],
      ['FINALIZE', 'reject', 'local:Olga Ops', 'Olga Ops'],
    ]);
    // each gate kind records only its own fields
    const [signedOff, go, fin] = report.decisions as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(Object.keys(signedOff)).not.toContain('quiesced');
    expect(Object.keys(signedOff)).not.toContain('terminateInstances');
    expect(go).toMatchObject({ quiesced: true });
    expect(Object.keys(go)).not.toContain('terminateInstances');
    expect(fin).toMatchObject({ terminateInstances: true, comment: 'smoke tests failed on the cutover' });
    expect(Object.keys(fin)).not.toContain('quiesced');
    // the 403 names no gate (the wave filter leaves it out); the 409s are counted on the sign-off
    expect(report.refusals).toEqual([expect.objectContaining({ gateId: signoff.id, status: 409, count: 2 })]);
    const all = JSON.parse((await run(['--json', 'approvals', 'audit'])).stdout) as typeof report;
    expect(all.refusals).toContainEqual(expect.objectContaining({ gateId: '-', status: 403, count: 1 }));

    const csv = await run(['approvals', 'audit', '--csv']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('at,wave,application,gate,gateId,decision,approver,name,changeRef,comment,quorum,channel,linkId,sourceIp,userAgent,quiesced,acceptMissing,terminateInstances,released');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/,FINALIZE,wave-1#app-1#FINALIZE#[\d-]+,reject,local:Olga Ops,Olga Ops,,smoke tests failed on the cutover,,cli,,,mgn-flow-cli,,,true,s-/);

    const human = await run(['approvals', 'audit']);
    expect(human.stdout).toContain('SIGNOFF: approve; approver local:Alice Admin, name Alice Admin; via cli');
    expect(human.stdout).toContain('refused requests: 3');
    expect((await run(['approvals', 'audit', '--csv', '--json'])).code).toBe(2);
  });
});
