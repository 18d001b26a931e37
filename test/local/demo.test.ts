import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/local/demo.ts';

describe('the demo', () => {
  it('runs the product on the local cloud and exits 0 on the emulator\'s evidence, writing the summary', { timeout: 90_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mgn-flow-demo-')), 'summary.json');
    const lines: string[] = [];
    const code = await runDemo({ servers: 3, applications: 1, approve: 'auto', summaryFile: file, seed: 4, json: false, out: (l) => lines.push(l) });
    expect(code).toBe(0);
    const summary = JSON.parse(readFileSync(file, 'utf8'));
    expect(summary).toMatchObject({ ok: true, servers: 3, applications: 1, allCutoverAndArchived: true, noDoubleLaunch: true });
    expect(summary.perServer.every((s: { outcome: string; testLaunches: number; cutoverLaunches: number }) => s.outcome === 'succeeded' && s.testLaunches === 1 && s.cutoverLaunches === 1)).toBe(true);
    expect(lines.some((l) => l.includes('SIGNOFF -> approve'))).toBe(true);
  });

  it('refuses the interactive approver until the approval pages exist', async () => {
    const lines: string[] = [];
    expect(await runDemo({ servers: 1, applications: 1, approve: 'interactive', json: false, out: (l) => lines.push(l) })).toBe(2);
    expect(lines.join('\n')).toMatch(/--approve auto/);
  });
});
