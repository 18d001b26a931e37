import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './emulator/config.ts';
import type { SeedSpec } from './emulator/seed.ts';
import { checkWaveFileSize, parseWaveFile, WaveFileError } from '../core/wave-file.ts';
import { isServerId } from '../core/ids.ts';

/**
 * Source servers to seed so that wave files run as written on a fresh local cloud: the hostnames and ids the
 * files name (an id gets a made-up hostname; a hostname a new id), replication caught up, each once.
 */
export function specsFromWaveTexts(files: readonly { file: string; text: string }[], start: SeedSpec['start'] = 'ready-for-test'): SeedSpec[] {
  const byRef = new Map<string, SeedSpec>();
  for (const { file, text } of files) {
    const parsed = parseWaveFile(text, file);
    // an application's account (MGN's global view): its servers are seeded in that account
    const refs = [...parsed.applications.flatMap((a) => a.servers.map((s) => ({ ref: s.ref, account: a.account }))), ...parsed.servers.map((s) => ({ ref: s.ref, account: undefined }))];
    for (const { ref, account } of refs) {
      if (byRef.has(ref)) continue;
      const spec: SeedSpec = isServerId(ref) ? { hostname: `server-${ref.slice(2, 8)}`, id: ref, start } : { hostname: ref, start };
      byRef.set(ref, account ? { ...spec, account } : spec);
    }
  }
  return [...byRef.values()];
}

/** `local --servers-from FILE`: the servers each wave file names; a file that is missing or invalid is a usage error. */
export function specsFromWaveFiles(paths: readonly string[]): SeedSpec[] {
  const files = paths.map((file) => {
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`--servers-from ${file}: no such file; give a wave file (YAML or JSON) whose servers to seed, e.g. examples/wave.yaml`);
    try {
      checkWaveFileSize(file, statSync(file).size);
    } catch (err) {
      if (err instanceof WaveFileError) throw new UsageError(`--servers-from ${err.message}`);
      throw err;
    }
    return { file, text: readFileSync(file, 'utf8') };
  });
  try {
    return specsFromWaveTexts(files);
  } catch (err) {
    if (err instanceof WaveFileError) throw new UsageError(`--servers-from: the wave file does not parse:\n${err.message}`);
    throw err;
  }
}

/**
 * The servers the project's own examples name (examples/*.yaml|json and README.md's wave), seeded by a plain
 * `mgn-flow local` so that the README's commands run as written.
 */
export function exampleServerSpecs(root: string): SeedSpec[] {
  const files = ['examples/wave.yaml', 'examples/wave.json']
    .map((f) => join(root, f))
    .filter((f) => existsSync(f))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  // the README's own wave (section "Waves") names these besides the examples' servers
  files.push({ file: 'README.md', text: 'version: 1\nwave: { name: readme, timeZone: UTC }\nservers: [fra-prd-web-01, s-0123456789abcdef0, fra-prd-jump-01]\n' });
  return specsFromWaveTexts(files);
}
