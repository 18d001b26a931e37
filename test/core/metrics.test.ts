import { describe, expect, it } from 'vitest';
import { metric } from '../../src/core/metrics.ts';
import { finalizeCutover } from '../../src/core/steps.ts';
import { reconcile } from '../../src/core/waits.ts';
import type { MetricsPort } from '../../src/ports.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';

/** The metrics the core records, through a collecting port (what the EMF adapter would write). */
function collector() {
  const seen: { name: string; unit: string; value: number; dimensions: Record<string, string>; metadata: Record<string, string> }[] = [];
  const port: MetricsPort = { add: (name, unit, value, dimensions = {}, metadata = {}) => void seen.push({ name, unit, value, dimensions, metadata }) };
  return { seen, port };
}

describe('core metrics', () => {
  it('records nothing when the caller has no metrics port (a handler that does not declare it)', () => {
    expect(() => metric({}, 'Holds', 1)).not.toThrow();
  });

  it('reconcile: ReconcilerResolutions counts the waits it resolved', async () => {
    const m = collector();
    const deps = { ...fakeDeps({ start: '2025-03-15T00:00:00.000Z' }), metrics: m.port };
    await deps.waits.put({ serverId: 's-1', executionArn: 'arn:x', state: 'Soak', token: 'tok-1', condition: { kind: 'UNTIL', at: '2025-03-14T00:00:00.000Z', reason: 'soak' }, createdAt: deps.clock.iso() });
    await deps.waits.put({ serverId: 's-2', executionArn: 'arn:y', state: 'Soak', token: 'tok-2', condition: { kind: 'UNTIL', at: '2025-03-20T00:00:00.000Z', reason: 'soak' }, createdAt: deps.clock.iso() });
    expect((await reconcile(deps)).resolved).toBe(1);
    expect(m.seen).toEqual([{ name: 'ReconcilerResolutions', unit: 'Count', value: 1, dimensions: {}, metadata: {} }]);
    // nothing resolved, nothing recorded
    m.seen.length = 0;
    await reconcile(deps);
    expect(m.seen).toEqual([]);
  });

  it('finalize inside a freeze: one Holds (reason freeze), with the wave and server as metadata', async () => {
    const m = collector();
    const base = fakeDeps({ start: '2025-03-15T12:00:00.000Z' });
    base.mgn.addServer(serverView('s-1', { lifeCycle: 'CUTTING_OVER' }));
    const holds: unknown[] = [];
    const deps = { ...base, metrics: m.port, waves: { recordHold: async (h: unknown) => void holds.push(h) } };
    await expect(finalizeCutover(deps, 's-1', { wave: 'wave-1', freeze: [{ start: '2025-03-15T00:00:00.000Z', end: '2025-03-16T00:00:00.000Z', reason: 'quarter close' }] })).rejects.toThrow(/held by the freeze/);
    expect(m.seen).toEqual([{ name: 'Holds', unit: 'Count', value: 1, dimensions: { reason: 'freeze' }, metadata: { wave: 'wave-1', server: 's-1' } }]);
    expect(holds).toHaveLength(1);
  });
});
