import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('mgn-flow emulator (child process)', () => {
  it('prints the bound URL as its first stdout line and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['bin/mgn-flow.js', 'emulator', '--port', '0', '--servers', '3', '--seed', '7', '--time-scale', '10'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await Promise.race([
        once(lines, 'line').then(([line]) => line as string),
        exited.then(([code]) => `(exited ${code} before printing a URL: ${stderr.trim()})`),
      ]);
      expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
