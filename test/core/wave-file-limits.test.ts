import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WAVE_FILE_LIMITS, WaveFileError, parseWaveFile } from '../../src/core/wave-file.ts';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { run } from '../cli/helpers.ts';

const HEAD = 'version: 1\nwave: { name: w, timeZone: Europe/Berlin }\n';

/** A "billion laughs": nine anchors, each a list of nine aliases of the one before. */
function aliasBomb(): string {
  const lines = ['x:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const name = String.fromCharCode(97 + i);
    const prev = String.fromCharCode(96 + i);
    lines.push(`  ${name}: &${name} [${Array<string>(9).fill(`*${prev}`).join(',')}]`);
  }
  return `${HEAD}${lines.join('\n')}\n`;
}

function refused(text: string): WaveFileError {
  try {
    parseWaveFile(text, 'wave.yaml');
  } catch (err) {
    if (err instanceof WaveFileError) return err;
    throw err;
  }
  throw new Error('the wave file was accepted');
}

describe('parseWaveFile on hostile input', () => {
  it('refuses a YAML alias bomb quickly, at the line and column of the first alias', () => {
    const t0 = performance.now();
    const err = refused(aliasBomb());
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ line: 5, column: 10, value: '*a' });
    expect(err.errors[0]).toMatch(/^wave\.yaml:line 5, column 10: \*a: YAML aliases expand beyond 100 nodes/);
    expect(err.errors[0]).toContain('write the values out');
  });

  it('accepts a few aliases (a shared list of approvers)', () => {
    const text = `${HEAD}approvers: { testSignoff: &qa [qa@example.com], goNoGo: *qa, finalize: *qa }\nservers: [fra-prd-jump-01]\n`;
    expect(parseWaveFile(text, 'wave.yaml').approvers.goNoGo).toEqual(['qa@example.com']);
  });

  it('refuses a file larger than the limit without parsing it, saying the size and the limit', () => {
    const text = `${HEAD}servers:\n${'  - fra-prd-web-01\n'.repeat(Math.ceil(WAVE_FILE_LIMITS.bytes / 18) + 10)}`;
    const t0 = performance.now();
    const err = refused(text);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(err.errors).toEqual([expect.stringMatching(/^wave\.yaml:\(root\): 2\.\d MB: a wave file is at most 2\.0 MB; split the servers into several waves/)]);
  });

  it('lists the first 50 errors in file order and counts the rest', () => {
    const apps = Array.from({ length: 3000 }, (_, i) => `  - { name: app-${i}, servers: [s-1], bogus: ${i} }`);
    const err = refused(`${HEAD}applications:\n${apps.join('\n')}\n`);
    expect(err.errors).toHaveLength(WAVE_FILE_LIMITS.errorsShown);
    expect(err.total).toBeGreaterThanOrEqual(3000);
    expect(err.errors[0]).toMatch(/^wave\.yaml:applications\[0\]/);
    const last = err.lines[err.lines.length - 1];
    expect(last).toBe(`... and ${err.total - 50} more errors not listed: fix these first`);
    expect(err.lines).toHaveLength(51);
  });
});

describe('mgn-flow --json wave rehearse on hostile input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers an alias bomb with exit 2 and one JSON document naming the place', async () => {
    const file = join(dir, 'bomb.yaml');
    writeFileSync(file, aliasBomb());
    const r = await run(['--json', 'wave', 'rehearse', file]);
    expect(r.code).toBe(ExitCode.Usage);
    const doc = JSON.parse(r.stdout) as { error: { message: string; problems: string[]; exitCode: number; fix: string } };
    expect(doc.error.exitCode).toBe(2);
    expect(doc.error.message).toBe('1 error; nothing was rehearsed');
    expect(doc.error.problems).toEqual([expect.stringContaining(`${file}:line 5, column 10: *a: YAML aliases expand`)]);
    expect(doc.error.fix).toBe('write the values out instead of aliasing them');
  });

  it('refuses a 7 MB file from its size alone', async () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `${HEAD}servers:\n${'  - fra-prd-web-01\n'.repeat(400_000)}`);
    const r = await run(['wave', 'rehearse', file]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr.split('\n').length).toBeLessThan(5);
    expect(r.stderr).toContain('7.2 MB: a wave file is at most 2.0 MB');
  });
});
