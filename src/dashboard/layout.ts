import type { AslGraph, GraphEdge, GraphNode } from './asl.ts';

/**
 * A deterministic layered layout of an ASL graph (a small Sugiyama): depth-first search from StartAt marks
 * the loops' back edges; layers by longest path over the other edges; edges that skip layers get a point
 * per layer they cross; a few barycenter sweeps order each layer; each node then sits as close to the mean
 * of its neighbours as the spacing allows. Same definition, same drawing: no randomness, no time.
 */

export interface LayoutNode extends GraphNode {
  /** Top-left corner and size, in SVG user units. */
  x: number;
  y: number;
  w: number;
  h: number;
  layer: number;
}

export interface LayoutEdge extends GraphEdge {
  /** An SVG path (`d`) from the source box to the target box. */
  path: string;
  /** A loop's edge going back up (or across a layer). */
  back: boolean;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: LayoutNode[];
  edges: LayoutEdge[];
}

export interface LayoutOptions {
  nodeWidth?: number;
  nodeHeight?: number;
  gapX?: number;
  gapY?: number;
  margin?: number;
}

interface Item {
  id: string;
  dummy: boolean;
  layer: number;
  w: number;
  /** Neighbours in the layer above and below (real nodes and edge points). */
  up: string[];
  down: string[];
  order: number;
  x: number;
}

export function layoutGraph(graph: AslGraph, opts: LayoutOptions = {}): GraphLayout {
  const W = opts.nodeWidth ?? 190;
  const H = opts.nodeHeight ?? 34;
  const GX = opts.gapX ?? 22;
  const GY = opts.gapY ?? 46;
  const M = opts.margin ?? 24;
  const DUMMY_W = 8;

  const ids = graph.nodes.map((n) => n.id);
  const out = new Map<string, GraphEdge[]>(ids.map((id) => [id, []]));
  for (const e of graph.edges) out.get(e.from)?.push(e);

  // 1. depth-first from StartAt (then anything unreachable, in definition order): discovery order and back edges
  const discovered = new Map<string, number>();
  const onStack = new Set<string>();
  const back = new Set<GraphEdge>();
  const postorder: string[] = [];
  const visit = (id: string) => {
    discovered.set(id, discovered.size);
    onStack.add(id);
    for (const e of out.get(id) ?? []) {
      if (onStack.has(e.to)) back.add(e);
      else if (!discovered.has(e.to)) visit(e.to);
    }
    onStack.delete(id);
    postorder.push(id);
  };
  const roots = [graph.startAt, ...ids].filter((id) => out.has(id));
  for (const r of roots) if (!discovered.has(r)) visit(r);

  // 2. layers: longest path over the forward edges, in topological order (reverse postorder)
  const forward = graph.edges.filter((e) => !back.has(e) && e.from !== e.to);
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of forward) preds.get(e.to)?.push(e.from);
  const layer = new Map<string, number>();
  for (const id of [...postorder].reverse()) {
    const ps = preds.get(id) ?? [];
    layer.set(id, ps.length ? Math.max(...ps.map((p) => (layer.get(p) ?? 0) + 1)) : 0);
  }

  // 3. items: the states, plus one point per layer an edge crosses
  const items = new Map<string, Item>();
  for (const id of ids) items.set(id, { id, dummy: false, layer: layer.get(id) ?? 0, w: W, up: [], down: [], order: discovered.get(id) ?? 0, x: 0 });
  const chains = new Map<GraphEdge, string[]>();
  forward.forEach((e, i) => {
    const a = layer.get(e.from) ?? 0;
    const b = layer.get(e.to) ?? 0;
    const chain = [e.from];
    for (let l = a + 1; l < b; l++) {
      const id = `\u0000${i}:${l}`;
      items.set(id, { id, dummy: true, layer: l, w: DUMMY_W, up: [], down: [], order: (discovered.get(e.from) ?? 0) + 0.5, x: 0 });
      chain.push(id);
    }
    chain.push(e.to);
    for (let k = 1; k < chain.length; k++) {
      (items.get(chain[k - 1] as string) as Item).down.push(chain[k] as string);
      (items.get(chain[k] as string) as Item).up.push(chain[k - 1] as string);
    }
    chains.set(e, chain);
  });
  const layerCount = Math.max(0, ...[...items.values()].map((it) => it.layer)) + 1;
  const layers: Item[][] = Array.from({ length: layerCount }, () => []);
  for (const it of items.values()) layers[it.layer]?.push(it);
  const reindex = (row: Item[]) => row.forEach((it, i) => (it.order = i));
  for (const row of layers) {
    row.sort((p, q) => p.order - q.order || (p.id < q.id ? -1 : 1));
    reindex(row);
  }

  // 4. order each layer by the mean position of its neighbours, sweeping down and up
  const sweep = (row: Item[], side: 'up' | 'down') => {
    const key = new Map<Item, number>();
    for (const it of row) {
      const ns = it[side].map((n) => (items.get(n) as Item).order);
      key.set(it, ns.length ? ns.reduce((s, v) => s + v, 0) / ns.length : it.order);
    }
    row.sort((p, q) => (key.get(p) as number) - (key.get(q) as number) || p.order - q.order);
    reindex(row);
  };
  for (let pass = 0; pass < 6; pass++) {
    for (let l = 1; l < layerCount; l++) sweep(layers[l] as Item[], 'up');
    for (let l = layerCount - 2; l >= 0; l--) sweep(layers[l] as Item[], 'down');
  }

  // 5. x: start packed and centred, then pull each node towards its neighbours without overlapping
  for (const row of layers) {
    const total = row.reduce((s, it) => s + it.w, 0) + GX * Math.max(0, row.length - 1);
    let x = -total / 2;
    for (const it of row) {
      it.x = x + it.w / 2;
      x += it.w + GX;
    }
  }
  const place = (row: Item[], desired: number[]) => {
    const n = row.length;
    const sep = (i: number) => ((row[i - 1] as Item).w + (row[i] as Item).w) / 2 + GX;
    const left: number[] = [];
    const right: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) left[i] = i === 0 ? (desired[0] as number) : Math.max(desired[i] as number, (left[i - 1] as number) + sep(i));
    for (let i = n - 1; i >= 0; i--) right[i] = i === n - 1 ? (desired[i] as number) : Math.min(desired[i] as number, (right[i + 1] as number) - sep(i + 1));
    row.forEach((it, i) => (it.x = ((left[i] as number) + (right[i] as number)) / 2));
  };
  for (let pass = 0; pass < 8; pass++) {
    const order = pass % 2 === 0 ? layers : [...layers].reverse();
    for (const row of order) {
      const desired = row.map((it) => {
        const ns = [...it.up, ...it.down].map((n) => (items.get(n) as Item).x);
        return ns.length ? ns.reduce((s, v) => s + v, 0) / ns.length : it.x;
      });
      place(row, desired);
    }
  }
  const minX = Math.min(...[...items.values()].map((it) => it.x - it.w / 2));
  const maxX = Math.max(...[...items.values()].map((it) => it.x + it.w / 2));
  const shift = M - minX;
  const cx = (id: string) => (items.get(id) as Item).x + shift;
  const top = (id: string) => M + (items.get(id) as Item).layer * (H + GY);

  const nodes: LayoutNode[] = graph.nodes.map((n) => ({ ...n, x: round(cx(n.id) - W / 2), y: top(n.id), w: W, h: H, layer: (items.get(n.id) as Item).layer }));

  // 6. edges: vertical curves through the crossing points; loops go round the right-hand side
  let loops = 0;
  const edges: LayoutEdge[] = graph.edges.map((e) => {
    const chain = chains.get(e);
    if (chain) {
      const pts = chain.map((id, k) => {
        const it = items.get(id) as Item;
        const y = top(id);
        return { x: cx(id), y: k === 0 ? y + H : it.dummy ? y + H / 2 : y };
      });
      let d = `M${round(pts[0]!.x)},${round(pts[0]!.y)}`;
      for (let k = 1; k < pts.length; k++) {
        const p = pts[k - 1]!;
        const q = pts[k]!;
        const dy = (q.y - p.y) / 2;
        d += ` C${round(p.x)},${round(p.y + dy)} ${round(q.x)},${round(q.y - dy)} ${round(q.x)},${round(q.y)}`;
      }
      return { ...e, path: d, back: false };
    }
    const off = 28 + 8 * (loops++ % 6);
    const sx = cx(e.from) + W / 2;
    const sy = top(e.from) + H / 2;
    const tx = cx(e.to) + W / 2;
    const ty = top(e.to) + H / 2;
    const bend = Math.max(sx, tx) + off;
    return { ...e, path: `M${round(sx)},${round(sy)} C${round(bend)},${round(sy)} ${round(bend)},${round(ty)} ${round(tx)},${round(ty)}`, back: true };
  });

  return {
    width: round(maxX - minX + 2 * M + 80),
    height: M * 2 + layerCount * (H + GY) - GY,
    nodes,
    edges,
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
