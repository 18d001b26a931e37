import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { fakeDemo, run } from './helpers.ts';

describe('mgn-flow demo', () => {
  it('returns runDemo’s exit code and passes the defaults', async () => {
    const demo = fakeDemo(ExitCode.Failed);
    const r = await run(['demo'], { load: demo.load });
    expect(r.code).toBe(ExitCode.Failed);
    expect(demo.calls.options).toEqual({
      servers: 12,
      applications: 3,
      faults: undefined,
      approve: 'auto',
      summaryFile: undefined,
      seed: undefined,
      timeScale: undefined,
      json: false,
    });
  });

  it('passes validated flags and the global --json to runDemo', async () => {
    const demo = fakeDemo(0);
    const r = await run(
      ['--json', 'demo', '--servers', '4', '--applications', '2', '--faults', '{"stallRate":0.1}', '--approve', 'interactive',
        '--summary', 'summary.json', '--seed', '9', '--time-scale', '3600'],
      { load: demo.load },
    );
    expect(r.code).toBe(ExitCode.Ok);
    expect(demo.calls.options).toMatchObject({
      servers: 4,
      applications: 2,
      faults: { stallRate: 0.1 },
      approve: 'interactive',
      summaryFile: 'summary.json',
      seed: 9,
      timeScale: 3600,
      json: true,
    });
  });

  it('accepts --json after the command name too', async () => {
    const demo = fakeDemo(0);
    await run(['demo', '--json'], { load: demo.load });
    expect(demo.calls.options?.json).toBe(true);
  });

  it.each([
    [['--servers', '0'], 'Allowed: a whole number from 1 to 5000.'],
    [['--approve', 'yes'], 'Allowed choices are auto, interactive.'],
    [['--time-scale', '0'], 'Allowed: a number greater than 0'],
    [['--faults', '{oops'], 'not valid JSON'],
    [['--servers', '2', '--applications', '3'], 'at most --servers (2)'],
    [['--summary', '/no/such/dir/summary.json'], 'does not exist'],
  ])('returns 2 without running the demo when given %j', async (flags, message) => {
    const r = await run(['demo', ...flags]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("Run 'mgn-flow demo --help' for usage.");
  });
});
