import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { LIMITS, ServerRun } from '../../src/core/contracts.ts';
import { serverPlan } from '../../src/core/wave.ts';
import { WaveFileError, checkWave, loadWaveFile, waveFromMgn } from '../../src/core/wave-file.ts';
import type { ServerView } from '../../src/ports.ts';

/**
 * One schema for every bound (issue 13): a wave file the wave file accepts gives plans Admit accepts, and one
 * the plan would refuse is refused by the wave file first, with its file:path: value: allowed error.
 */

const ID = 's-00000000000000001';
const SERVERS: ServerView[] = [{ id: ID, hostname: 'web-01', isArchived: false, lifeCycle: 'READY_FOR_TEST', replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 0 }, lastTest: {}, lastCutover: {} }];
const ctx = { file: 'w.yaml', servers: SERVERS, quotas: { replicatingServers: 150 } };
const emails = (n: number) => Array.from({ length: n }, (_, i) => `a${i}@example.com`);

function file(o: { soakDays?: number; name?: string; approvers?: number; reason?: string; freezes?: number }): string {
  const freeze = Array.from({ length: o.freezes ?? (o.reason !== undefined ? 1 : 0) }, (_, i) => {
    const d = String(1 + (i % 28)).padStart(2, '0');
    const m = String(1 + Math.floor(i / 28)).padStart(2, '0');
    return `  - { start: "2030-${m}-${d}T00:00", end: "2030-${m}-${d}T01:00"${o.reason !== undefined && i === 0 ? `, reason: ${JSON.stringify(o.reason)}` : ''} }`;
  });
  return [
    'version: 1',
    'wave: { name: w, timeZone: UTC }',
    ...(o.soakDays !== undefined ? [`defaults: { soakDays: ${o.soakDays} }`] : []),
    ...(o.approvers !== undefined ? [`approvers: { goNoGo: ${JSON.stringify(emails(o.approvers))} }`] : []),
    ...(freeze.length ? ['freeze:', ...freeze] : []),
    'applications:',
    `  - name: ${JSON.stringify(o.name ?? 'app')}`,
    `    servers: [${ID}]`,
  ].join('\n');
}

/** What the wave file says, and whether every server's run would pass the plan's schema at Admit. */
function both(text: string): { file: 'ok' | string; plan: 'ok' | 'refused' | 'not reached' } {
  try {
    const wave = loadWaveFile(text, ctx);
    const plan = serverPlan(wave);
    const runs = wave.applications.map((a) => ServerRun.safeParse({ wave: wave.name, application: a.name, serverId: ID, members: [ID], plan }));
    return { file: 'ok', plan: runs.every((r) => r.success) ? 'ok' : 'refused' };
  } catch (e) {
    if (!(e instanceof WaveFileError)) return { file: 'ok', plan: 'refused' };
    return { file: e.errors.join('\n'), plan: 'not reached' };
  }
}

describe('one schema for every bound, from the wave file to the plan', () => {
  const cases: [string, Parameters<typeof file>[0], boolean][] = [
    ['soakDays 0', { soakDays: 0 }, false],
    ['soakDays 1', { soakDays: 1 }, true],
    ['soakDays 23', { soakDays: 23 }, true],
    ['soakDays 24 (more than one callback: chained)', { soakDays: 24 }, true],
    ['soakDays 90', { soakDays: 90 }, true],
    ['soakDays 91', { soakDays: 91 }, false],
    [`an application name of ${LIMITS.nameChars} characters`, { name: 'a'.repeat(LIMITS.nameChars) }, true],
    [`an application name of ${LIMITS.nameChars + 1} characters`, { name: 'a'.repeat(LIMITS.nameChars + 1) }, false],
    ['an application name of 256 characters', { name: 'a'.repeat(256) }, false],
    [`${LIMITS.approversPerGate} approvers`, { approvers: LIMITS.approversPerGate }, true],
    [`${LIMITS.approversPerGate + 1} approvers`, { approvers: LIMITS.approversPerGate + 1 }, false],
    [`a freeze reason of ${LIMITS.freezeReasonChars} characters`, { reason: 'r'.repeat(LIMITS.freezeReasonChars) }, true],
    [`a freeze reason of ${LIMITS.freezeReasonChars + 1} characters`, { reason: 'r'.repeat(LIMITS.freezeReasonChars + 1) }, false],
    [`${LIMITS.freezeWindows} freezes`, { freezes: LIMITS.freezeWindows }, true],
    [`${LIMITS.freezeWindows + 1} freezes`, { freezes: LIMITS.freezeWindows + 1 }, false],
  ];
  it.each(cases)('%s: the wave file and the plan agree', (_what, o, accepted) => {
    const r = both(file(o));
    if (accepted) expect(r).toEqual({ file: 'ok', plan: 'ok' });
    else {
      // refused by the wave file, in its own format: never a ZodError at Admit
      expect(r.plan).toBe('not reached');
      expect(r.file).toMatch(/^w\.yaml:[\w.[\]]+: .+: .+/);
    }
  });

  it('says what is allowed', () => {
    expect(both(file({ soakDays: 0 })).file).toBe("w.yaml:defaults.soakDays: 0: a whole number of days from 1 to 90 (MGN's free replication period is 90 days; a sign-off ends the soak earlier)");
    expect(both(file({ approvers: 21 })).file).toMatch(/^w\.yaml:approvers\.goNoGo: \[.*: at most 20 e-mail addresses per gate \(one link each\); ask a distribution list for more$/);
    expect(both(file({ name: 'a'.repeat(129) })).file).toMatch(/^w\.yaml:applications\[0\]\.name: "a+\.\.\.: a name of 1 to 128 characters without leading or trailing blanks or control characters$/);
  });

  it('refuses a standalone server whose hostname is too long to name its application', () => {
    const long = 'h'.repeat(LIMITS.nameChars + 1);
    const text = `version: 1\nwave: { name: w, timeZone: UTC }\nservers: [${long}]\n`;
    expect(() => loadWaveFile(text, { ...ctx, servers: [{ ...(SERVERS[0] as ServerView), hostname: long }] })).toThrow(/servers\[0\]: .*has 129 characters \(at most 128\)/);
  });

  it('checks an MGN application name the plan could not carry', () => {
    const wave = waveFromMgn({ wave: { waveID: 'wave-1', name: 'w' }, applications: [{ applicationID: 'app-1', name: 'n'.repeat(200) }], servers: [{ ...(SERVERS[0] as ServerView), applicationId: 'app-1' }] });
    expect(checkWave(wave, { quotas: { replicatingServers: 150 } })).toEqual([
      expect.objectContaining({ path: 'application.name', index: 0, allowed: '200 characters; an application name has at most 128: rename the application' }),
    ]);
  });

  it('the state machine waits a soak in parts of at most one callback', () => {
    const asl = JSON.parse(readFileSync(new URL('../../statemachines/server-lifecycle.asl.json', import.meta.url), 'utf8')) as { States: Record<string, { Choices?: { NumericGreaterThan?: number }[]; Result?: unknown; Parameters?: Record<string, unknown> }> };
    expect(LIMITS.soakPartSeconds).toBeLessThanOrEqual(LIMITS.oneWaitSeconds);
    expect(asl.States.SoakPart?.Choices?.[0]?.NumericGreaterThan).toBe(LIMITS.soakPartSeconds);
    expect(asl.States.SoakPartEnded?.Choices?.[0]?.NumericGreaterThan).toBe(LIMITS.soakPartSeconds);
    expect(asl.States.SoakLongPart?.Result).toBe(LIMITS.soakPartSeconds);
    expect(JSON.stringify(asl.States.SoakNextPart?.Parameters)).toContain(`-${LIMITS.soakPartSeconds})`);
  });
});
