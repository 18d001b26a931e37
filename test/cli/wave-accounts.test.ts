import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliCloud, cliCloud } from './cloud-helpers.ts';
import { run } from './helpers.ts';

const OTHER = '222233334444';

/** mgn-flow wave start|status with an application in another account of MGN's global view. */
describe('mgn-flow wave start|status: accounts of MGN global view', () => {
  let env: CliCloud;
  const file = (name: string, text: string) => {
    writeFileSync(join(env.dir, name), text);
    return name;
  };
  const wave = (name: string, account: string) =>
    ['version: 1', `wave: { name: ${name}, timeZone: UTC }`, 'applications:', '  - name: shop', '    servers: [shop-01]', '  - name: erp', `    account: "${account}"`, '    servers: [erp-01, erp-02]', ''].join('\n');

  beforeAll(async () => {
    // agent-installed: the wave stays running while the test looks at it
    env = await cliCloud({
      servers: 0,
      timeScale: 60,
      serverSpecs: [{ hostname: 'shop-01', start: 'agent-installed' }, ...['erp-01', 'erp-02'].map((hostname) => ({ hostname, account: OTHER, start: 'agent-installed' as const }))],
    });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('refuses an account MGN does not manage with 2, naming the application, the account and the fix', async () => {
    const r = await run(['wave', 'start', file('unmanaged.yaml', wave('wave-x', '999988887777'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unmanaged.yaml');
    expect(r.stderr).toContain('applications[1].account');
    expect(r.stderr).toContain('application "erp" names account 999988887777, which MGN does not manage here');
    expect(r.stderr).toContain("add the account to MGN's global view");
  });

  it("starts a wave whose application names a managed account (its servers found there) and shows the account in wave status", async () => {
    const start = await run(['wave', 'start', file('two.yaml', wave('wave-two', OTHER))]);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const human = await run(['wave', 'status', 'wave-two']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ {2}erp\s+erp-01 .*\n {6}account 222233334444/m);
    expect(human.stdout).not.toMatch(/shop-01 .*\n {6}account/);
    const json = JSON.parse((await run(['--json', 'wave', 'status', 'wave-two'])).stdout) as { servers: { application: string; account: string | null }[] };
    expect(json.servers.map((s) => [s.application, s.account])).toEqual([
      ['shop', null],
      ['erp', OTHER],
      ['erp', OTHER],
    ]);
  });
});
