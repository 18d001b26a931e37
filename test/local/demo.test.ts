import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAndDecide } from '../../src/local/approver.ts';
import { demoWaveFile, runDemo } from '../../src/local/demo.ts';
import { parseWaveFile } from '../../src/core/wave-file.ts';

interface PerServer {
  application: string;
  outcome: string;
  testLaunches: number;
  failedLaunches: number;
  cutoverLaunches: number;
  finalState: string;
  archived: boolean;
  path: string[];
}

describe('the demo', () => {
  it('schedules a wave from a wave file, recovers the injected test-launch failure and exits 0 on the emulator\'s evidence', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-demo-'));
    const file = join(dir, 'summary.json');
    const lines: string[] = [];
    const code = await runDemo({ servers: 4, applications: 2, standalone: 1, approve: 'auto', summaryFile: file, seed: 4, json: false, waveDir: dir, out: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    const summary = JSON.parse(readFileSync(file, 'utf8'));
    expect(summary).toMatchObject({ ok: true, servers: 5, applications: 2, standalone: 1, allCutoverAndArchived: true, noDoubleLaunch: true, waveStatus: 'SUCCEEDED', failedExecutions: [] });
    expect(summary.injectedTestLaunchFailure).toMatchObject({ application: 'app-02', recovered: true });
    const perServer = summary.perServer as PerServer[];
    expect(perServer).toHaveLength(5);
    for (const s of perServer) expect([s.outcome, s.finalState, s.archived, s.cutoverLaunches]).toEqual(['succeeded', 'CUTOVER', true, 1]);
    // exactly one failed test launch, relaunched alone: only that server has two test launches
    const failed = perServer.filter((s) => s.failedLaunches > 0);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ testLaunches: 2, failedLaunches: 1 });
    expect(failed[0]?.path).toContain('TestRelaunchPoint');
    expect(perServer.filter((s) => s.testLaunches !== 1)).toHaveLength(1);
    expect(summary.transitions).toBeGreaterThan(0);
    expect(summary.lambdaInvocations).toBeGreaterThan(0);
    expect(summary.estimatedOrchestrationCostUsd).toBeGreaterThan(0);

    // the wave file it wrote is a wave file like any other; the schedule fired, the canary went first
    const wave = parseWaveFile(readFileSync(summary.waveFile, 'utf8'), summary.waveFile);
    expect(wave.applications.map((a) => [a.name, a.canary, a.servers.length])).toEqual([['app-01', true, 2], ['app-02', false, 2]]);
    expect(wave.servers).toHaveLength(1);
    const fired = lines.findIndex((l) => l.includes('schedule fired'));
    const first = lines.findIndex((l) => l.includes('admitted app-01'));
    const second = lines.findIndex((l) => l.includes('admitted app-02'));
    expect(fired).toBeGreaterThan(-1);
    expect(first).toBeGreaterThan(fired);
    expect(second).toBeGreaterThan(first);
    expect(lines.some((l) => l.includes('TEST_LAUNCH_FAILED') && l.includes('(injected)'))).toBe(true);
    expect(lines.some((l) => l.includes('SIGNOFF -> approve'))).toBe(true);
  });

  it('in interactive mode prints each approval link; a person deciding through them finishes the wave', { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const decisions: Promise<unknown>[] = [];
    const code = await runDemo({
      servers: 1,
      applications: 1,
      standalone: 0,
      injectFailure: false,
      approve: 'interactive',
      json: false,
      seed: 5,
      out: (l) => {
        lines.push(l);
        const url = /waits for \S+: open (\S+)$/.exec(l)?.[1];
        if (url) decisions.push(openAndDecide(url, { decision: 'approve', name: 'A Person', quiesced: true }));
      },
    });
    await Promise.all(decisions);
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.filter((l) => /: (SIGNOFF|GO_NO_GO|FINALIZE) waits for .*: open http/.test(l))).toHaveLength(3);
  });

  it('writes a wave file with the canary first and the standalone servers apart', () => {
    const text = demoWaveFile({ seed: 1, applications: [{ name: 'app-01', hostnames: ['a-1', 'a-2'] }, { name: 'app-02', hostnames: ['b-1'] }], standalone: ['c-1'] });
    const wave = parseWaveFile(text, 'demo.yaml');
    expect(wave.wave.name).toBe('demo-wave');
    expect(wave.applications.map((a) => [a.name, a.canary, a.servers.map((s) => s.ref)])).toEqual([['app-01', true, ['a-1', 'a-2']], ['app-02', false, ['b-1']]]);
    expect(wave.servers.map((s) => s.ref)).toEqual(['c-1']);
  });
});
