import { describe, expect, it } from 'vitest';
import type { Wave } from '../../src/core/wave-file.ts';
import { admitWave, someOf, type WaveDeps } from '../../src/core/wave.ts';
import type { ServerOutcome } from '../../src/ports.ts';

/** Issue 13: nothing passed between states grows with the wave (Step Functions' 256 KB payload limit). */

const id = (i: number) => `s-${i.toString(16).padStart(17, '0')}`;

function thousandFailed(policy: Wave['defaults']['failurePolicy']): { deps: WaveDeps; wave: Wave } {
  const wave: Wave = {
    name: 'big',
    timeZone: 'UTC',
    source: { kind: 'file', file: 'big.yaml' },
    defaults: { soakDays: 1, concurrency: 10, failurePolicy: policy, archive: true },
    cutoverWindow: null,
    approvers: { testSignoff: [], goNoGo: [], finalize: [] },
    freeze: [],
    applications: Array.from({ length: 10 }, (_, a) => ({ name: `app-${a}`, canary: false, standalone: false, servers: Array.from({ length: 100 }, (_, s) => ({ id: id(a * 100 + s) })) })),
  };
  const outcomes: ServerOutcome[] = wave.applications.flatMap((a) =>
    a.servers.map((s) => ({ wave: 'big', serverId: s.id, application: a.name, attempt: 1, executionArn: `arn:${s.id}`, waveRun: 'run-1', status: 'FAILED' as const, error: 'States.TaskFailed: a long explanation of what went wrong in this server', at: '2026-03-10T12:00:00.000Z' })),
  );
  const refuse = () => Promise.reject(new Error('not expected'));
  const deps = {
    waves: { getDefinition: async () => wave, outcomes: async () => outcomes },
    executions: { start: refuse, describe: refuse, stop: refuse, arnFor: (n: string) => `arn:${n}` },
    quotas: { mgnLimits: refuse },
    mgn: { describeServers: refuse, applyLaunchSettings: refuse },
    callbacks: { succeed: refuse, fail: refuse },
    notifier: { ops: async () => undefined },
    clock: { now: () => new Date('2026-03-10T12:00:00.000Z') },
  } as unknown as WaveDeps;
  return { deps, wave };
}

describe('admission output stays small whatever the wave', () => {
  for (const policy of ['hold', 'stop'] as const) {
    it(`1,000 servers that all failed under failure policy ${policy}: the admission result is under 1 KB and names a few`, async () => {
      const { deps } = thousandFailed(policy);
      const r = await admitWave(deps, { wave: 'big', waveRun: 'run-1' });
      expect(JSON.stringify(r).length).toBeLessThan(1024);
      expect(r.failed).toBe(1000);
      expect(r.holding).toMatch(/and 995 more \(mgn-flow wave status lists them\)/);
    });
  }

  it('someOf names all of a short list and a few of a long one', () => {
    expect(someOf(['a', 'b'])).toBe('a, b');
    expect(someOf(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 2)).toBe('a, b and 5 more (mgn-flow wave status lists them)');
  });
});
