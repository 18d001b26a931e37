import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverIds, startServers, statePath, until } from '../statemachines/lifecycle-helpers.ts';
import { type CliCloud, cliCloud } from './cloud-helpers.ts';
import { run } from './helpers.ts';

interface Listed {
  id: string;
  gate: string;
  atGate: number;
  servers: string[];
  changeRef?: string;
}

async function openGate(kind: string): Promise<Listed> {
  let found: Listed | undefined;
  await until(
    `the ${kind} gate`,
    async () => {
      found = (JSON.parse((await run(['--json', 'approvals', 'list'])).stdout) as Listed[]).find((g) => g.gate === kind && g.atGate === g.servers.length);
      return found !== undefined;
    },
    60_000,
  );
  return found as Listed;
}

/** `--change-ref` on the local cloud: a finalize that needs a change id, decided from a terminal. */
describe('mgn-flow approvals approve --change-ref', () => {
  let env: CliCloud;
  beforeAll(async () => {
    env = await cliCloud({ servers: 2, applications: 1, timeScale: 3000 });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('refuses a finalize approval without a valid change id (2, saying how to give it), then approves it with one', { timeout: 120_000 }, async () => {
    const ids = serverIds(env.cloud);
    const arns = startServers(env.cloud, { ids, plan: { soakSeconds: 14 * 86400, approvers: { testSignoff: [], goNoGo: [], finalize: { people: ['ops-lead@example.com'], quorum: 1, rejects: 1, changeRef: '^CHG[0-9]{7}$' } } } });
    expect((await run(['approvals', 'approve', (await openGate('SIGNOFF')).id, '--as', 'Quinn QA'])).code).toBe(0);
    expect((await run(['approvals', 'approve', (await openGate('GO_NO_GO')).id, '--as', 'Carol CAB', '--quiesced'])).code).toBe(0);
    const fin = await openGate('FINALIZE');
    expect(fin.changeRef).toBe('^CHG[0-9]{7}$');
    expect((await run(['approvals', 'list'])).stdout).toContain('change id required (^CHG[0-9]{7}$)');

    const none = await run(['approvals', 'approve', fin.id, '--as', 'Olga Ops']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('this gate needs a change id matching ^CHG[0-9]{7}$ to approve');
    expect(none.stderr).toContain('give it with --change-ref <id>');
    const wrong = await run(['approvals', 'approve', fin.id, '--as', 'Olga Ops', '--change-ref', 'CHG-1']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('change id "CHG-1" does not match ^CHG[0-9]{7}$');
    expect(arns.every((a) => !statePath(env.cloud, a).includes('FinalizeCutover'))).toBe(true);

    const ok = await run(['approvals', 'approve', fin.id, '--as', 'Olga Ops', '--change-ref', 'CHG0001234']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^${fin.id.replace(/[#-]/g, '\\$&')}: approve by Olga Ops \\(change CHG0001234\\); 2 server\\(s\\) move on`));
    await until('the finalize', () => arns.every((a) => statePath(env.cloud, a).includes('FinalizeCutover')), 30_000);
    const audit = JSON.parse((await run(['--json', 'approvals', 'audit'])).stdout) as { decisions: { gate: string; changeRef?: string }[] };
    expect(audit.decisions.find((d) => d.gate === 'FINALIZE')?.changeRef).toBe('CHG0001234');
  });
});
