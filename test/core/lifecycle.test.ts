import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GATE_KINDS, GATE_VOCABULARY, PARKED_STATES, STATE_ROLES } from '../../src/core/lifecycle.ts';
import { fakeDeps } from '../helpers/fakes.ts';

/**
 * One owner for the lifecycle's vocabulary (issue 14): src/core/lifecycle.ts. The wiring test checks its
 * names against the ASL; here, that no other source file knows a gate kind or a named state, and that a
 * made-up gate kind added to lifecycle.ts alone (plus its state in the ASL) works end to end in the core.
 */

const root = resolve(import.meta.dirname, '../..');
const OWNER = 'src/core/lifecycle.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Files under src and functions that spell `names` as string literals or record keys (comments may name them in backticks). */
function filesNaming(names: readonly string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const file of [...sources(resolve(root, 'src')), ...sources(resolve(root, 'functions'))]) {
    const rel = relative(root, file);
    if (rel === OWNER) continue;
    const text = readFileSync(file, 'utf8');
    const hits = names.filter((n) => new RegExp(`['"]${n}['"]|^\\s*${n}:`, 'm').test(text));
    if (hits.length) found[rel] = hits;
  }
  return found;
}

describe("the lifecycle's vocabulary has one owner", () => {
  it('no source file but lifecycle.ts names a gate kind', () => {
    expect(filesNaming(GATE_KINDS)).toEqual({});
  });

  it('no source file but lifecycle.ts names a state it gives a role', () => {
    const named = [...new Set([...Object.values(STATE_ROLES).flat(), ...Object.keys(PARKED_STATES)])].filter((n) => n !== 'GateExpired' /* also an error name the ASL catches */);
    expect(filesNaming(named)).toEqual({});
  });
});

describe('a made-up gate kind (SECURITY_REVIEW) added to lifecycle.ts alone', () => {
  const fixture = resolve(root, '.scratch/gate-kind-fixture');
  rmSync(fixture, { recursive: true, force: true });
  mkdirSync(fixture, { recursive: true });
  cpSync(resolve(root, 'src'), join(fixture, 'src'), { recursive: true });
  cpSync(resolve(root, 'deploy'), join(fixture, 'deploy'), { recursive: true });
  const owner = join(fixture, OWNER);
  const text = readFileSync(owner, 'utf8');
  const end = '} as const satisfies Record<string, GateWords>;';
  expect(text).toContain(end);
  const entry = `  SECURITY_REVIEW: {
    approvers: 'goNoGo',
    label: 'security review',
    title: 'security review before cutover',
    question: 'Has the security team reviewed the cutover instances?',
    choices: ['approve', 'reject'],
    state: 'SecurityReview',
    approverFields: [],
    colour: '#333333',
  },
`;
  writeFileSync(owner, text.replace(end, `${entry}${end}`));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  const load = async <T,>(path: string): Promise<T> => (await import(join(fixture, path))) as T;

  it('changes one file of src', () => {
    const changed = sources(join(fixture, 'src')).filter((f) => readFileSync(f, 'utf8') !== readFileSync(resolve(root, relative(fixture, f)), 'utf8'));
    expect(changed.map((f) => relative(fixture, f))).toEqual([OWNER]);
    expect(Object.keys(GATE_VOCABULARY)).not.toContain('SECURITY_REVIEW');
  });

  it('is a gate the state machine may park at, is requested with its words, and takes only its choices', async () => {
    const { ArriveAtGateInput } = await load<typeof import('../../src/core/contracts.ts')>('src/core/contracts.ts');
    const gates = await load<typeof import('../../src/core/gates.ts')>('src/core/gates.ts');
    const approvals = await load<typeof import('../../src/core/approvals.ts')>('src/core/approvals.ts');
    const id = 's-aaaaaaaaaaaaaaaaa';
    const arrival = ArriveAtGateInput.parse({
      serverId: id,
      executionArn: `arn:aws:states:us-east-1:111122223333:execution:m:${id}`,
      state: 'SecurityReview',
      token: 'token-1',
      wave: 'w',
      application: 'app',
      gate: 'SECURITY_REVIEW',
      round: '1',
      members: [id],
      timeoutSeconds: 3600,
      approvers: { people: ['sec@example.com', 'ciso@example.com'], quorum: 2, rejects: 1 },
    });
    // an approval gate: the plan's quorum applies (a failure gate would drop it)
    expect(arrival.quorum).toEqual({ needed: 2, rejects: 1 });
    const deps = fakeDeps();
    const { gate } = await gates.arriveAtGate(deps, arrival as Parameters<typeof gates.arriveAtGate>[1]);
    expect(gate.allowed).toEqual(['approve', 'reject']);
    await approvals.ensureRequested(deps, gate);
    expect(deps.approvals.messages[0]?.text).toContain('security review before cutover for app');
    expect(deps.approvals.messages[0]?.text).toContain('Has the security team reviewed the cutover instances?');
    await expect(gates.decide(deps, gate.id, { decision: 'retry', by: 'x', at: deps.clock.iso() })).rejects.toThrow(/not allowed at SECURITY_REVIEW/);
  });

  it('is shown on the dashboard with its approvers and on the rehearsal timeline', async () => {
    const reader = await load<typeof import('../../src/dashboard/reader.ts')>('src/dashboard/reader.ts');
    expect(reader.gateApprovers({ gate: 'SECURITY_REVIEW' }, { plan: { approvers: { goNoGo: ['sec@example.com'] } } })).toEqual(['sec@example.com']);
    const html = await load<typeof import('../../src/local/rehearse-html.ts')>('src/local/rehearse-html.ts');
    expect(typeof html.forecastHtml).toBe('function');
  });
});
