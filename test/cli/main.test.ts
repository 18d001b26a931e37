import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/cli/errors.ts';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { UsageError } from '../../src/local/emulator/config.ts';
import { fakeDemo, run } from './helpers.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('mgn-flow help', () => {
  it.each([['--help'], ['-h'], ['help']])('returns 0 and prints root help on stdout for %s', async (flag) => {
    const r = await run([flag]);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout).toContain('Usage: mgn-flow');
    expect(r.stdout).toMatch(/emulator[\s\S]*demo[\s\S]*help/);
    expect(r.stderr).toBe('');
  });

  it.each([
    [['emulator', '--help'], '--time-scale'],
    [['emulator', '-h'], '--manual-clock'],
    [['demo', '--help'], '--approve'],
    [['help', 'emulator'], '--quota'],
    [['help', 'demo'], '--summary'],
    [['help', 'help'], 'help [options] [command...]'],
  ])('returns 0 and prints subcommand help on stdout for %j', async (argv, expected) => {
    const r = await run(argv);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout).toContain(expected);
    expect(r.stdout).toContain('--json');
    expect(r.stderr).toBe('');
  });

  it('returns 2 with root help on stderr when no command is given', async () => {
    const r = await run([]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: mgn-flow');
  });

  it('returns 2 with a suggestion when help is asked for an unknown command', async () => {
    const r = await run(['help', 'emu']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("error: unknown command 'emu'. Did you mean 'emulator'?");
  });
});

describe('mgn-flow --version', () => {
  it.each([['--version'], ['-V']])('returns 0 and prints the package version for %s', async (flag) => {
    const r = await run([flag]);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });
});

describe('mgn-flow usage errors', () => {
  it('returns 2 with a suggestion when the command is mistyped', async () => {
    const r = await run(['emulatr']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("error: unknown command 'emulatr'. Did you mean 'emulator'?\nRun 'mgn-flow --help' for usage.\n");
  });

  it('returns 2 listing the commands when nothing is close', async () => {
    const r = await run(['xyzzy']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("error: unknown command 'xyzzy'. Allowed: emulator, local, servers, wave, soak, approvals, graph, demo, dashboard, doctor, help.");
    expect(r.stderr).toContain("Run 'mgn-flow --help' for usage.");
  });

  it('returns 2 naming the flag when a root flag is unknown', async () => {
    const r = await run(['--jsn', 'demo']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("error: unknown option '--jsn'. Did you mean '--json'?");
  });

  it('returns 2 naming the flag and the command help when a subcommand flag is unknown', async () => {
    const r = await run(['emulator', '--prot', '8080']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("error: unknown option '--prot'. Did you mean '--port'?");
    expect(r.stderr).toContain("Run 'mgn-flow emulator --help' for usage.");
  });

  it('returns 2 when an option value is missing', async () => {
    const r = await run(['emulator', '--port']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("error: option '--port <port>' argument missing");
  });

  it('returns 2 when a command gets arguments it does not take', async () => {
    const r = await run(['emulator', 'extra']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("too many arguments for 'emulator'");
  });
});

describe('mgn-flow error mapping', () => {
  it.each([
    [new UsageError('bad input'), ExitCode.Usage],
    [new NotFoundError('no such wave: w1'), ExitCode.NotFound],
    [new ConflictError('already decided'), ExitCode.Conflict],
    [new Error('boom'), ExitCode.Failed],
  ])('returns the exit code for %s', async (err, code) => {
    const r = await run(['demo'], { load: fakeDemo(err).load });
    expect(r.code).toBe(code);
    expect(r.stderr.split('\n')[0]).toBe(`error: ${err.message}`);
  });

  it('returns 1 with a one-line message and no stack for an unexpected error', async () => {
    const r = await run(['demo'], { load: fakeDemo(new Error('socket hang up\nmore detail')).load });
    expect(r.code).toBe(ExitCode.Failed);
    expect(r.stderr).toBe('error: socket hang up\n');
  });

  it('prints the stack when MGN_FLOW_DEBUG=1', async () => {
    const r = await run(['demo'], { env: { MGN_FLOW_DEBUG: '1' }, load: fakeDemo(new Error('boom')).load });
    expect(r.code).toBe(ExitCode.Failed);
    expect(r.stderr).toMatch(/^error: boom\nError: boom\n\s+at /);
  });
});
