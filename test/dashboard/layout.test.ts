import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDefinition } from '../../src/dashboard/asl.ts';
import { layoutGraph } from '../../src/dashboard/layout.ts';

const lifecycle = JSON.parse(readFileSync(new URL('../../statemachines/server-lifecycle.asl.json', import.meta.url), 'utf8')) as Record<string, unknown>;

const overlaps = (a: { x: number; y: number; w: number; h: number }, b: typeof a) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('parseDefinition', () => {
  it('returns one node per state and an edge for each Next, Choices rule, Default and Catch', () => {
    const g = parseDefinition({
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'B', Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'F' }] },
        B: { Type: 'Choice', Choices: [{ Variable: '$.x', BooleanEquals: true, Next: 'C' }, { Variable: '$.y', BooleanEquals: true, Next: 'C' }], Default: 'F' },
        C: { Type: 'Succeed' },
        F: { Type: 'Fail' },
      },
    });
    expect(g.startAt).toBe('A');
    expect(g.nodes.map((n) => [n.id, n.kind])).toEqual([['A', 'task'], ['B', 'choice'], ['C', 'succeed'], ['F', 'fail']]);
    expect(g.edges).toEqual([
      { from: 'A', to: 'B', kind: 'next' },
      { from: 'A', to: 'F', kind: 'catch', label: 'States.Timeout' },
      { from: 'B', to: 'C', kind: 'choice' },
      { from: 'B', to: 'F', kind: 'default' },
    ]);
  });

  it('reads gates, holds and launch points from the lifecycle definition', () => {
    const byId = new Map(parseDefinition(lifecycle).nodes.map((n) => [n.id, n]));
    expect(byId.get('Soak')).toMatchObject({ kind: 'gate', gate: 'SIGNOFF' });
    expect(byId.get('GoNoGo')).toMatchObject({ kind: 'gate', gate: 'GO_NO_GO' });
    expect(byId.get('FinalizeGate')).toMatchObject({ kind: 'gate', gate: 'FINALIZE' });
    expect(byId.get('TestFailureGate')).toMatchObject({ kind: 'gate', gate: 'TEST_FAILURE' });
    expect(byId.get('HoldForWindow')).toMatchObject({ kind: 'hold', why: 'held for the cutover window' });
    expect(byId.get('HoldForReadiness')).toMatchObject({ kind: 'hold', why: 'held until replication is ready for cutover' });
    expect(byId.get('TestLaunchPoint')?.kind).toBe('launch');
    expect(byId.get('AwaitReady')?.kind).toBe('wait');
  });
});

describe('layoutGraph', () => {
  const graph = parseDefinition(lifecycle);
  const layout = layoutGraph(graph);

  it('returns the same drawing for the same definition', () => {
    expect(layoutGraph(parseDefinition(JSON.parse(JSON.stringify(lifecycle)) as Record<string, unknown>))).toEqual(layout);
  });

  it('places every state once, inside the drawing, with no two boxes overlapping', () => {
    expect(layout.nodes.map((n) => n.id).sort()).toEqual(Object.keys(lifecycle.States as object).sort());
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.x + n.w).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.h).toBeLessThanOrEqual(layout.height);
    }
    for (let i = 0; i < layout.nodes.length; i++) {
      for (let j = i + 1; j < layout.nodes.length; j++) expect(overlaps(layout.nodes[i]!, layout.nodes[j]!), `${layout.nodes[i]!.id} / ${layout.nodes[j]!.id}`).toBe(false);
    }
  });

  it('puts StartAt on top and every forward transition on a lower layer; loops are drawn as back edges', () => {
    const layer = new Map(layout.nodes.map((n) => [n.id, n.layer]));
    expect(layer.get('Init')).toBe(0);
    for (const e of layout.edges) {
      if (e.back) expect(layer.get(e.to)!).toBeLessThanOrEqual(layer.get(e.from)!);
      else expect(layer.get(e.to)!).toBeGreaterThan(layer.get(e.from)!);
      expect(e.path).toMatch(/^M[\d.-]+,[\d.-]+( C[\d., -]+)+$/);
    }
    // the soak extension loop and the hold's re-check go back up
    expect(layout.edges.find((e) => e.from === 'SoakRemaining' && e.to === 'SoakPart')?.back).toBe(true);
    expect(layout.edges.find((e) => e.from === 'HoldForWindow' && e.to === 'CheckCutoverWindow' && e.kind === 'next')?.back).toBe(true);
  });

  it('lays out the happy path top to bottom', () => {
    const y = new Map(layout.nodes.map((n) => [n.id, n.y]));
    const path = ['Init', 'Route', 'RouteChoice', 'TestLaunchPoint', 'Soak', 'GoNoGo', 'CutoverLaunchPoint', 'FinalizeGate', 'Archive', 'Done'];
    for (let i = 1; i < path.length; i++) expect(y.get(path[i]!)!, path[i]).toBeGreaterThan(y.get(path[i - 1]!)!);
  });

  it('handles a single state and a self-loop', () => {
    const one = layoutGraph(parseDefinition({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'A' } } }));
    expect(one.nodes).toHaveLength(1);
    expect(one.edges[0]?.back).toBe(true);
  });
});
