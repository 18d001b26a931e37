import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { run } from './helpers.ts';

interface ErrorDoc {
  error: { name: string; message: string; problems?: string[]; exitCode: number; fix: string };
}

/** `--json`: whatever goes wrong, stdout is one JSON document saying what, the exit code and the fix. */
function parsed(stdout: string): ErrorDoc {
  const doc = JSON.parse(stdout) as ErrorDoc;
  expect(Object.keys(doc)).toEqual(['error']);
  return doc;
}

describe('mgn-flow --json errors', () => {
  it('returns one JSON document on stdout for an unknown flag, with exit code 2 and the help to read', async () => {
    const r = await run(['--json', 'emulator', '--prot', '8080']);
    expect(r.code).toBe(ExitCode.Usage);
    const doc = parsed(r.stdout);
    expect(doc.error).toMatchObject({ name: 'UsageError', exitCode: 2 });
    expect(doc.error.message).toContain("unknown option '--prot'");
    expect(doc.error.message).toContain('--port');
    expect(doc.error.fix).toBe("Run 'mgn-flow emulator --help' for usage.");
  });

  it('takes --json after the command too', async () => {
    const r = await run(['wvae', '--json']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(parsed(r.stdout).error.message).toContain("unknown command 'wvae'");
  });

  it('returns exit code 3 and the fix for a wave file that does not exist', async () => {
    const r = await run(['--json', 'wave', 'rehearse', '/nonexistent/wave.yaml']);
    const doc = parsed(r.stdout);
    expect(r.code).toBe(doc.error.exitCode);
    expect(doc.error.exitCode).not.toBe(0);
    expect(doc.error.message).toContain('/nonexistent/wave.yaml');
    expect(doc.error.fix.length).toBeGreaterThan(10);
  });

  it('writes nothing to stdout but the document (stderr keeps the text for people)', async () => {
    const r = await run(['--json', 'emulator', '--port', 'x']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
    expect(r.stderr).toContain('error:');
  });

  it('prints no JSON error when there is none (--help exits 0)', async () => {
    const r = await run(['--json', '--help']);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout).not.toContain('"error"');
  });

  it('lists every problem of an invalid wave file, one entry each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-json-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'version: 1\nwave: { name: w, timeZone: Mars/Olympus }\ndefaults: { soakDays: -1 }\nservers: [a-01]\n');
      const r = await run(['--json', 'wave', 'rehearse', file]);
      expect(r.code).toBe(ExitCode.Usage);
      const doc = parsed(r.stdout);
      expect(doc.error.exitCode).toBe(2);
      expect(doc.error.problems).toHaveLength(2);
      expect(doc.error.problems?.[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:wave\\.timeZone: "Mars/Olympus": `));
      expect(doc.error.problems?.[1]).toMatch(/:defaults\.soakDays: -1: /);
      expect(doc.error.message).toBe('2 errors; nothing was rehearsed');
      expect(doc.error.fix).toBe('correct the wave file where each problem says (file:path: value: what is allowed), then run the command again');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
