import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

/**
 * The layering the repository promises (STYLE.md, docs/design.md), checked on its own code: the core knows
 * no SDK and no AWS error name (the adapters translate them into src/core/errors.ts), and nothing imports in
 * a circle.
 */

const root = resolve(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const read = (dir: string) => tsFiles(resolve(root, dir)).map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));
const core = read('src/core');
const handlers = read('functions');

/** Error names AWS services answer with: they belong to src/adapters/aws, never to the core. */
const AWS_ERROR_NAMES = [
  'TaskTimedOut',
  'TaskDoesNotExist',
  'InvalidToken',
  'ExecutionDoesNotExist',
  'ExecutionAlreadyExists',
  'ConflictException',
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'InternalServerException',
  'InternalServerError',
  'ServiceUnavailable',
  'ResourceNotFoundException',
  'ValidationException',
  'AccessDeniedException',
  'UninitializedAccountException',
  'ServiceQuotaExceededException',
  'ConditionalCheckFailedException',
  'TransactionCanceledException',
];

/** A static, type-only, side-effect or dynamic import of an @aws-sdk package. */
const importsAwsSdk = (text: string): boolean => /(\bfrom\s*|\bimport\s*\(?\s*)['"]@aws-sdk\//.test(text);

/** Runtime imports only: a type-only import is erased by TypeScript, so it cannot make a module load before its dependency. */
const RUNTIME_IMPORTS = { ts: { skipTypeImports: true }, es6: { skipTypeImports: true } };

async function cycles(paths: string[], opts: { types?: boolean } = {}): Promise<string[][]> {
  const graph = await madge(paths, { fileExtensions: ['ts'], ...(opts.types ? {} : { detectiveOptions: RUNTIME_IMPORTS }), excludeRegExp: [/\.d\.ts$/] });
  return graph.circular();
}

describe('src/core', () => {
  it('has source files to check', () => {
    expect(core.map((c) => c.file)).toEqual(expect.arrayContaining(['src/core/errors.ts', 'src/core/waits.ts', 'src/core/wave-start.ts']));
  });

  it('imports no AWS SDK package', () => {
    const offenders = core.filter((c) => importsAwsSdk(c.text)).map((c) => c.file);
    expect(offenders).toEqual([]);
  });

  it('reads no process.env (configuration is parsed in the adapters)', () => {
    expect(core.filter((c) => /\bprocess\.env\b/.test(c.text)).map((c) => c.file)).toEqual([]);
  });

  it('would see an SDK import in any of its forms', () => {
    expect(["import { MgnClient } from '@aws-sdk/client-mgn';", "import type { SFNClient } from \"@aws-sdk/client-sfn\";", "import '@aws-sdk/client-sns';", "await import('@aws-sdk/client-scheduler')"].map(importsAwsSdk)).toEqual([true, true, true, true]);
    expect(importsAwsSdk('// the adapters import @aws-sdk/client-mgn, not this')).toBe(false);
  });

  it.each(AWS_ERROR_NAMES)('does not name the AWS error %s (the adapters translate it)', (name) => {
    const offenders = core.filter((c) => new RegExp(`\\b${name}\\b`).test(c.text)).map((c) => c.file);
    expect(offenders).toEqual([]);
  });

  it('decides on errors with instanceof, never by reading an error name', () => {
    const offenders = core.filter((c) => /\(err(or)? as Error\)\.name ===|\berr(or)?\.name ===/.test(c.text)).map((c) => c.file);
    expect(offenders).toEqual([]);
  });
});

describe('functions (the handlers)', () => {
  it('import no AWS SDK package: they call use cases, the adapters call AWS', () => {
    expect(handlers.length).toBeGreaterThan(20);
    expect(handlers.filter((h) => importsAwsSdk(h.text)).map((h) => h.file)).toEqual([]);
  });
});

describe('import cycles', () => {
  it('finds none in src, functions and bin', { timeout: 60_000 }, async () => {
    expect(await cycles(['src', 'functions', 'bin'].map((d) => resolve(root, d)))).toEqual([]);
  });

  it('finds type-only cycles only through src/ports.ts (the ports name core types such as Wave; the core names the ports)', { timeout: 60_000 }, async () => {
    const known = (cycle: string[]) => cycle.includes('src/ports.ts');
    expect((await cycles(['src', 'functions', 'bin'].map((d) => resolve(root, d)), { types: true })).filter((c) => !known(c))).toEqual([]);
  });

  // the check must be able to fail: tiny modules that do import in a circle, and two that only seem to
  const fixtures = resolve(root, 'test/fixtures/import-cycles');

  it('finds a cycle of two modules importing each other', async () => {
    expect(await cycles([join(fixtures, 'cycle')])).toEqual([['a.ts', 'b.ts']]);
  });

  it('finds a cycle closed by a dynamic import()', async () => {
    expect(await cycles([join(fixtures, 'dynamic')])).toEqual([['cli.ts', 'demo.ts']]);
  });

  it('ignores type-only imports in a circle (erased at runtime), and finds them when asked', async () => {
    expect(await cycles([join(fixtures, 'types-only')])).toEqual([]);
    expect(await cycles([join(fixtures, 'types-only')], { types: true })).toEqual([['port.ts', 'use-case.ts']]);
  });
});
