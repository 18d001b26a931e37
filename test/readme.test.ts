import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../src/cli/context.ts';
import { run } from './cli/helpers.ts';
import { until } from './statemachines/lifecycle-helpers.ts';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const localJson = join(root, '.mgn-flow', 'local.json');

const realLoaders: CliIo['load'] = {
  emulator: () => import('../src/local/emulator/index.ts'),
  demo: () => import('../src/local/demo.ts'),
  cloud: () => import('../src/local/cloud/index.ts'),
};

/** The README's commands, as written (`npx mgn-flow ` dropped): each must be in the README, word for word. */
function fromReadme(command: string): string[] {
  expect(readme, `README.md shows: npx mgn-flow ${command}`).toContain(`npx mgn-flow ${command}`);
  return (command.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ''));
}

describe('README.md quick start', () => {
  it('quick start: npm run demo ends "demo: OK" and leaves no temporary folder', { timeout: 120_000 }, async () => {
    expect(readme).toContain('npm run demo     # a wave of 14 servers');
    const tmp = mkdtempSync(join(tmpdir(), 'mgn-flow-readme-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      // the demo prints to the process's own stdout and stderr
      let printed = '';
      const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((printed += String(chunk)), true));
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const r = await run(['demo'], { load: realLoaders }).finally(() => {
        out.mockRestore();
        err.mockRestore();
      });
      expect(r.code, r.stderr).toBe(0);
      expect(printed).toContain('every server CUTOVER and archived: yes; no double launch: yes\ndemo: OK');
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  });

});

/**
 * A new user on a fresh clone: the README's quick start (the demo), then `npx mgn-flow local` in the project
 * folder (no flags) and the README's first CLI examples against it, as written. Nothing may fail.
 */
describe('README.md, as a new user follows it', () => {
  let stop: (signal: string) => void = () => undefined;
  let local: Promise<{ code: number; stdout: string; stderr: string }> | undefined;
  const before = process.cwd();

  beforeAll(async () => {
    if (existsSync(localJson)) throw new Error(`${localJson} exists: a local cloud runs from this folder; stop it to run this test`);
    process.chdir(root);
    const stopped = new Promise<string>((r) => (stop = r));
    local = run(['local'], { load: realLoaders, waitForShutdown: () => stopped });
    await until('the local cloud writes .mgn-flow/local.json', () => existsSync(localJson), 60_000);
  }, 90_000);
  afterAll(async () => {
    stop('SIGTERM');
    const r = await local;
    process.chdir(before);
    expect(r?.code).toBe(0);
    expect(existsSync(localJson)).toBe(false);
  });

  it('mgn-flow local: a plain start says what it seeded and refuses a second cloud in the same folder', async () => {
    const second = await run(['local'], { load: realLoaders, waitForShutdown: () => Promise.resolve('SIGTERM') });
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(/another local cloud runs from .* \(process \d+, .*\): its \.mgn-flow\/local\.json stays; stop it first/);
    expect(existsSync(localJson)).toBe(true);
  });

  it('the first CLI examples (Waves) run as written', { timeout: 120_000 }, async () => {
    const servers = await run(['servers', 'list']);
    expect(servers.code, servers.stderr).toBe(0);
    for (const h of ['fra-prd-web-01', 'fra-prd-jump-01', 'fra-prd-file-07']) expect(servers.stdout).toContain(h);

    const start = await run(fromReadme('wave start examples/wave.yaml'));
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain('✓ wave-2026-12-shop: 3 application(s) and 2 standalone server(s), 10 server(s) in all');
    expect(start.stdout).toContain('subscribed on the local cloud');
    expect(start.stderr).toBe('');

    const mgnWave = await run(fromReadme('wave start --mgn-wave "Wave 1"'));
    expect(mgnWave.code, mgnWave.stderr).toBe(0);
    expect(mgnWave.stdout).toMatch(/started Wave-1-1|started .*-1 /);

    const scheduled = await run(fromReadme('wave schedule examples/wave.yaml --at 2026-12-05T02:00 --tz Europe/Berlin'));
    expect(scheduled.code, scheduled.stderr).toBe(0);
    const list = await run(fromReadme('wave schedule --list'));
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('wave-2026-12-shop');

    // the canary is admitted at once: its servers show where they are, why and until when
    await until('the canary has executions', async () => (await run(['--json', 'wave', 'status', 'wave-2026-12-shop'])).stdout.includes('"result":"running"'), 60_000);
    const status = await run(fromReadme('wave status wave-2026-12-shop'));
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^wave-2026-12-shop: 3 application\(s\) and 2 standalone server\(s\), 10 server\(s\) in all; now .* \(times in Europe\/Berlin\)$/m);
    expect(status.stdout).toMatch(/shop-frontend\s+fra-prd-web-01\s+running/);
    expect(status.stdout).toMatch(/shop-orders\s+fra-prd-app-11\s+not started\s+#0\n {6}why: not admitted yet: canaries first \(shop-frontend must succeed\)/);

    const graph = await run(['graph', 'fra-prd-web-01']);
    expect(graph.code, graph.stderr).toBe(0);
    expect(graph.stdout).toMatch(/^wave-2026-12-shop-s-[0-9a-f]{17}-1: RUNNING/);

    const approvals = await run(fromReadme('approvals list'));
    expect(approvals.code, approvals.stderr).toBe(0);
  });
});
