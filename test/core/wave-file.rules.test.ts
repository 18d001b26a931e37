import { describe, expect, it } from 'vitest';
import { Plan } from '../../src/core/contracts.ts';
import { gateApprovers, serverPlan } from '../../src/core/wave.ts';
import { WaveFileError, loadWaveFile, type WaveContext } from '../../src/core/wave-file.ts';
import type { ServerView } from '../../src/ports.ts';

const servers: ServerView[] = [{ id: 's-0000000000000web1', hostname: 'web-01', isArchived: false, lifeCycle: 'READY_FOR_TEST', replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 0 }, lastTest: {}, lastCutover: {} }];
const ctx: WaveContext = { file: 'w.yaml', servers, quotas: { replicatingServers: 150 }, now: new Date('2026-11-01T00:00:00Z') };
const wave = (body: string) => loadWaveFile(`version: 1\nwave: { name: w1, timeZone: Europe/Berlin }\napplications:\n  - { name: shop, servers: [web-01] }\n${body}`, ctx);

function errorsOf(body: string): string[] {
  try {
    wave(body);
  } catch (e) {
    if (e instanceof WaveFileError) return e.errors;
    throw e;
  }
  throw new Error('expected a WaveFileError');
}

const CAB = '[alice@example.com, bob@example.com, carol@example.com]';

describe('wave file: a change board at the gates', () => {
  it('reads a quorum and a change id pattern into the plan the executions get; the plain list stays as it was', () => {
    const w = wave(`approvers:\n  testSignoff: [qa@example.com]\n  goNoGo: { people: ${CAB}, quorum: 2 }\n  finalize: [ops@example.com]\nchangeRef: { gates: [goNoGo, finalize], pattern: "^CHG[0-9]{7}$" }\n`);
    expect(w.approvers.goNoGo).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    expect(w.rules).toEqual({ quorum: { goNoGo: { quorum: 2, rejects: 1 } }, changeRef: { gates: ['goNoGo', 'finalize'], pattern: '^CHG[0-9]{7}$' } });
    const plan = serverPlan(w);
    expect(plan.approvers).toEqual({
      testSignoff: ['qa@example.com'],
      goNoGo: { people: ['alice@example.com', 'bob@example.com', 'carol@example.com'], quorum: 2, rejects: 1, changeRef: '^CHG[0-9]{7}$' },
      finalize: { people: ['ops@example.com'], quorum: 1, rejects: 1, changeRef: '^CHG[0-9]{7}$' },
    });
    // what the executions start with parses again (one schema)
    expect(Plan.safeParse(JSON.parse(JSON.stringify(plan))).success).toBe(true);
    expect(gateApprovers({ approvers: { testSignoff: [], goNoGo: ['a@example.com'], finalize: [] } })).toEqual({ testSignoff: [], goNoGo: ['a@example.com'], finalize: [] });
  });

  it('says what is wrong with a quorum nobody can reach, a bad pattern or an unknown gate', () => {
    expect(errorsOf(`approvers:\n  goNoGo: { people: [a@example.com, b@example.com], quorum: 3 }\n`)).toEqual([
      "w.yaml:approvers.goNoGo.quorum: 3: 2 people are named: how many of the gate's people must approve: a whole number from 1 to the number of people named (at most 20)",
    ]);
    expect(errorsOf(`approvers:\n  goNoGo: { people: [a@example.com], quorum: 0 }\n`).join('\n')).toMatch(/approvers\.goNoGo\.quorum: 0: how many of the gate's people must approve/);
    expect(errorsOf(`approvers:\n  goNoGo: { people: [a@example.com], quorom: 2 }\n`).join('\n')).toMatch(/approvers\.goNoGo\.quorom/);
    expect(errorsOf(`changeRef: { gates: [goNoGo], pattern: "^CHG[0-9" }\n`).join('\n')).toMatch(/changeRef\.pattern: .*a regular expression of up to 200 characters/);
    expect(errorsOf(`changeRef: { gates: [cutover], pattern: "^CHG" }\n`).join('\n')).toMatch(/changeRef\.gates\[0\]: "cutover": a list of the gates that need a change id to approve: testSignoff, goNoGo, finalize/);
    expect(errorsOf(`approvers:\n  goNoGo: { people: [], quorum: 1 }\n`).join('\n')).toMatch(/approvers\.goNoGo\.people: \[\]: at least one e-mail address/);
  });

  it('refuses control characters in application names (they would reach terminals, pages and e-mail)', () => {
    expect(() => loadWaveFile(`version: 1\nwave: { name: w1, timeZone: Europe/Berlin }\napplications:\n  - { name: "shop\\e]0;x", servers: [web-01] }\n`, ctx)).toThrow(/applications\[0\]\.name: .*without leading or trailing blanks or control characters/);
  });
});
