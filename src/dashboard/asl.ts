/**
 * An ASL definition read as a graph: states as nodes, Next / Choices / Default / Catch as edges, and what
 * kind of wait each state is (an approval gate, a hold, a launch point, a wait on MGN), read from the
 * definition itself so the board follows the state machine rather than a copy of its state names.
 */

export type StateKind = 'gate' | 'hold' | 'launch' | 'wait' | 'task' | 'choice' | 'pass' | 'succeed' | 'fail' | 'parallel' | 'map' | 'delay';
export type EdgeKind = 'next' | 'choice' | 'default' | 'catch';

export interface GraphNode {
  id: string;
  /** The ASL Type. */
  type: string;
  kind: StateKind;
  /** Gate states: the gate name in the task's payload (SIGNOFF, GO_NO_GO, FINALIZE, ...). */
  gate?: string;
  /** Gate states: the JSONPath of the payload's approvers, when the definition passes them. */
  approversPath?: string;
  /** Hold states: why the server is held (the condition's reason or kind). */
  why?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** Catch: the errors it catches. */
  label?: string;
}

export interface AslGraph {
  startAt: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

export function parseDefinition(definition: string | Json): AslGraph {
  const def = typeof definition === 'string' ? (JSON.parse(definition) as Json) : definition;
  const states = obj(def.States) ?? {};
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const [id, raw] of Object.entries(states)) {
    const s = obj(raw) ?? {};
    nodes.push(classify(id, s));
    if (typeof s.Next === 'string') edges.push({ from: id, to: s.Next, kind: 'next' });
    if (Array.isArray(s.Choices)) {
      for (const c of s.Choices) {
        const next = obj(c)?.Next;
        if (typeof next === 'string') edges.push({ from: id, to: next, kind: 'choice' });
      }
    }
    if (typeof s.Default === 'string') edges.push({ from: id, to: s.Default, kind: 'default' });
    if (Array.isArray(s.Catch)) {
      for (const c of s.Catch) {
        const co = obj(c);
        if (typeof co?.Next === 'string') {
          const errors = Array.isArray(co.ErrorEquals) ? co.ErrorEquals.join(', ') : '';
          edges.push({ from: id, to: co.Next, kind: 'catch', ...(errors ? { label: errors } : {}) });
        }
      }
    }
  }
  const known = new Set(nodes.map((n) => n.id));
  return { startAt: String(def.StartAt ?? nodes[0]?.id ?? ''), nodes, edges: dedupe(edges.filter((e) => known.has(e.to))) };
}

/** Two Choices rules to the same state are one arrow. */
function dedupe(edges: GraphEdge[]): GraphEdge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const key = `${e.from}\u0000${e.to}\u0000${e.kind === 'catch' ? 'catch' : 'flow'}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function classify(id: string, s: Json): GraphNode {
  const type = String(s.Type ?? 'Pass');
  const base = { id, type };
  switch (type) {
    case 'Choice':
      return { ...base, kind: 'choice' };
    case 'Succeed':
      return { ...base, kind: 'succeed' };
    case 'Fail':
      return { ...base, kind: 'fail' };
    case 'Parallel':
      return { ...base, kind: 'parallel' };
    case 'Map':
      return { ...base, kind: 'map' };
    case 'Wait':
      return { ...base, kind: 'delay' };
    case 'Task':
      break;
    default:
      return { ...base, kind: 'pass' };
  }
  const params = obj(s.Parameters) ?? {};
  const payload = obj(params.Payload) ?? params;
  if (typeof payload.gate === 'string') {
    const path = payload['approvers.$'];
    return { ...base, kind: 'gate', gate: payload.gate, ...(typeof path === 'string' ? { approversPath: path } : {}) };
  }
  const condition = obj(payload.condition);
  const conditionKind = typeof condition?.kind === 'string' ? condition.kind : undefined;
  if (conditionKind === 'UNTIL' || conditionKind === 'READINESS' || /^Hold/.test(id)) {
    const why = typeof condition?.reason === 'string' ? `held for the ${condition.reason}` : conditionKind === 'READINESS' ? 'held until replication is ready for cutover' : 'held';
    return { ...base, kind: 'hold', why };
  }
  if (typeof payload.launch === 'string') return { ...base, kind: 'launch' };
  const resource = typeof s.Resource === 'string' ? s.Resource : '';
  if (resource.endsWith('.waitForTaskToken')) return { ...base, kind: 'wait' };
  return { ...base, kind: 'task' };
}

/** `$.a.b[0]` read from a document (the subset of JSONPath a Parameters path uses); undefined when absent. */
export function readJsonPath(doc: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  const parts = path.slice(1).match(/\.[^.[\]]+|\[\d+\]|\['[^']*'\]/g) ?? [];
  let cur: unknown = doc;
  for (const p of parts) {
    if (cur === null || cur === undefined) return undefined;
    const key = p.startsWith('.') ? p.slice(1) : p.startsWith("['") ? p.slice(2, -2) : Number(p.slice(1, -1));
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}
