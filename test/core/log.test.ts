import { describe, expect, it } from 'vitest';
import { finalizeCutover } from '../../src/core/steps.ts';
import { reconcile } from '../../src/core/waits.ts';
import { heldByOtherWaves } from '../../src/core/wave.ts';
import type { Wave } from '../../src/core/wave-file.ts';
import type { Log } from '../../src/ports.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';

/** A Log port that keeps every line (what the invocation's Powertools logger would write). */
function collector() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields });
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, log };
}

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('core: a failure it continues past is logged, never swallowed', () => {
  it('finalize inside a freeze whose hold cannot be recorded: still held, and the failed record is a warning saying why that is safe', async () => {
    const { lines, log } = collector();
    const base = fakeDeps({ start: '2025-03-15T12:00:00.000Z' });
    base.mgn.addServer(serverView('s-1', { lifeCycle: 'CUTTING_OVER' }));
    const deps = { ...base, log, waves: { recordHold: () => Promise.reject(throttled()) } };
    await expect(finalizeCutover(deps, 's-1', { wave: 'wave-1', freeze: [{ start: '2025-03-15T00:00:00.000Z', end: '2025-03-16T00:00:00.000Z' }] })).rejects.toThrow(/held by the freeze/);
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'freeze hold not recorded',
        fields: { wave: 'wave-1', serverId: 's-1', error: 'ThrottlingException', reason: 'Rate exceeded', safe: expect.stringContaining('the finalize is held all the same') },
      },
    ]);
  });

  it('reconcile: an MGN read that fails is a warning (the waits stay open for the next run)', async () => {
    const { lines, log } = collector();
    const base = fakeDeps({ start: '2025-03-15T00:00:00.000Z' });
    base.mgn.describeServers = () => Promise.reject(throttled());
    const deps = { ...base, log };
    await deps.waits.put({ serverId: 's-1', executionArn: 'arn:x', state: 'AwaitReady', token: 'tok-1', condition: { kind: 'READY_FOR_TEST' }, createdAt: base.clock.iso() });
    expect(await reconcile(deps)).toMatchObject({ open: 1, resolved: 0, failedCalls: 1 });
    expect(lines).toEqual([{ level: 'warn', message: 'MGN read failed', fields: expect.objectContaining({ operation: 'DescribeSourceServers', servers: 1, error: 'ThrottlingException', safe: expect.stringContaining('next reconcile run') }) }]);
    expect(JSON.stringify(lines)).not.toContain('tok-1');
  });

  it("a wave's admission check: an execution Step Functions cannot describe counts as held, with a warning", async () => {
    const { lines, log } = collector();
    const wave = { name: 'wave-2', applications: [{ name: 'app', servers: [{ id: 's-1' }] }] } as unknown as Wave;
    const deps = {
      log,
      waves: { runningOutcomes: async () => [{ wave: 'wave-1', serverId: 's-1', application: 'app', attempt: 1, executionArn: 'arn:e', waveRun: 'r', status: 'RUNNING' as const, at: '2025-03-15T00:00:00.000Z' }] },
      executions: { describe: () => Promise.reject(throttled()) },
    };
    expect(await heldByOtherWaves(deps, wave)).toEqual([{ serverId: 's-1', wave: 'wave-1', executionArn: 'arn:e' }]);
    expect(lines).toMatchObject([{ level: 'warn', message: 'execution status unreadable', fields: { serverId: 's-1', heldBy: 'wave-1', error: 'ThrottlingException' } }]);
  });
});
