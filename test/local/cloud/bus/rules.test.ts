import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalBus } from '../../../../src/local/cloud/bus/bus.ts';
import { validatePattern } from '../../../../src/local/cloud/bus/matcher.ts';
import { RuleLoadError, installRules, loadRules } from '../../../../src/local/cloud/bus/rules.ts';
import { fakeLambda, manualClock } from './helpers.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/eventbridge/${name}/`, import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

const mgn = (detailType: string, states?: string[]) => ({
  source: ['aws.mgn'],
  'detail-type': [detailType],
  ...(states ? { detail: { state: states } } : {}),
});

describe('loadRules', () => {
  const temps: string[] = [];
  afterEach(async () => {
    for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function project(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'bus-rules-'));
    temps.push(dir);
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
    return dir;
  }

  it('returns the routes of serverless.yml and the pattern files no function references', async () => {
    const loaded = await loadRules(fixture('project'));

    expect(loaded.unrouted).toEqual(['events/execution-status.json']);
    expect(loaded.rules).toEqual([
      {
        name: 'onLaunchResult-rule-1',
        functionKey: 'onLaunchResult',
        patternFile: 'events/test-launch-result.json',
        origin: 'serverless.yml functions.onLaunchResult.events[0]',
        enabled: true,
        pattern: mgn('MGN Source Server Launch Result', ['TEST_LAUNCH_SUCCEEDED', 'TEST_LAUNCH_FAILED']),
      },
      {
        name: 'onLaunchResult-rule-2',
        functionKey: 'onLaunchResult',
        patternFile: 'events/cutover-launch-result.json',
        origin: 'serverless.yml functions.onLaunchResult.events[1]',
        enabled: true,
        pattern: mgn('MGN Source Server Launch Result', ['CUTOVER_LAUNCH_SUCCEEDED', 'CUTOVER_LAUNCH_FAILED']),
      },
      {
        name: 'ready-for-test',
        functionKey: 'onReadyForTest',
        patternFile: 'events/ready-for-test.json',
        origin: 'serverless.yml functions.onReadyForTest.events[0]',
        enabled: true,
        retry: { attempts: 3, maxEventAgeMs: 3_600_000 },
        pattern: mgn('MGN Source Server Lifecycle State Change', ['READY_FOR_TEST']),
      },
      {
        name: 'onStall-rule-1',
        functionKey: 'onStall',
        origin: 'serverless.yml functions.onStall.events[0]',
        enabled: true,
        pattern: mgn('MGN Source Server Data Replication Stalled Change', ['STALLED', 'NOT_STALLED']),
      },
      {
        name: 'legacyStall-rule-1',
        functionKey: 'legacyStall',
        origin: 'serverless.yml functions.legacyStall.events[0]',
        enabled: false,
        pattern: mgn('MGN Source Server Data Replication Stalled Change'),
      },
      {
        name: 'execution-status',
        patternFile: 'events/execution-status.json',
        origin: 'events/execution-status.json',
        enabled: true,
        pattern: { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] } },
      },
    ]);
  });

  it('installs routed rules with their function key and unrouted ones without a target', async () => {
    const clock = manualClock();
    const bus = new LocalBus({ clock, lambda: fakeLambda(clock), region: 'us-east-1', accountId: '111122223333' });
    installRules(bus, await loadRules(fixture('project')));
    expect(bus.rules.map((r) => [r.name, r.target && 'functionKey' in r.target ? r.target.functionKey : null, r.state])).toEqual([
      ['onLaunchResult-rule-1', 'onLaunchResult', 'ENABLED'],
      ['onLaunchResult-rule-2', 'onLaunchResult', 'ENABLED'],
      ['ready-for-test', 'onReadyForTest', 'ENABLED'],
      ['onStall-rule-1', 'onStall', 'ENABLED'],
      ['legacyStall-rule-1', 'legacyStall', 'DISABLED'],
      ['execution-status', null, 'ENABLED'],
    ]);
    expect(bus.getRule('ready-for-test')?.retry).toEqual({ attempts: 3, maxEventAgeMs: 3_600_000 });
  });

  it('returns no rule for a project with no events directory and no function', async () => {
    expect(await loadRules(fixture('empty'))).toEqual({ rules: [], unrouted: [] });
  });

  it('loads the repository own events/ and serverless.yml with valid patterns', async () => {
    const loaded = await loadRules(repoRoot);
    for (const rule of loaded.rules) expect(() => validatePattern(rule.pattern), rule.origin).not.toThrow();
  });

  it('throws RuleLoadError naming the file when a pattern file is malformed', async () => {
    const dir = await project({ 'events/bad.json': '{"source": []}', 'serverless.yml': 'functions: {}\n' });
    await expect(loadRules(dir)).rejects.toThrow(RuleLoadError);
    await expect(loadRules(dir)).rejects.toThrow(/^events\/bad\.json: Event pattern is not valid\. Reason: Empty arrays are not allowed at source/);
  });

  it('throws RuleLoadError when a route references a missing pattern file', async () => {
    const dir = await project({
      'serverless.yml': 'functions:\n  f:\n    events:\n      - eventBridge:\n          pattern: ${file(./events/missing.json)}\n',
    });
    await expect(loadRules(dir)).rejects.toThrow(/^events\/missing\.json: cannot read the pattern file/);
  });

  it('throws RuleLoadError for an inline pattern PutRule would refuse', async () => {
    const dir = await project({
      'serverless.yml': 'functions:\n  f:\n    events:\n      - eventBridge:\n          pattern:\n            source: aws.mgn\n',
    });
    await expect(loadRules(dir)).rejects.toThrow(/functions\.f\.events\[0\]\.eventBridge\.pattern: .*"source" must be an object or an array/);
  });

  it('throws RuleLoadError for options that would change what the handler receives', async () => {
    const dir = await project({
      'serverless.yml': 'functions:\n  f:\n    events:\n      - eventBridge:\n          inputPath: $.detail\n          pattern:\n            source: [aws.mgn]\n',
    });
    await expect(loadRules(dir)).rejects.toThrow(/eventBridge\.inputPath: not supported by the local bus/);
  });

  it('skips scheduled eventBridge events, which the Scheduler stand-in runs', async () => {
    const dir = await project({
      'serverless.yml': 'functions:\n  f:\n    events:\n      - eventBridge:\n          schedule: rate(5 minutes)\n',
    });
    expect(await loadRules(dir)).toEqual({ rules: [], unrouted: [] });
  });

  it('throws RuleLoadError for a retry policy outside what EventBridge allows', async () => {
    const dir = await project({
      'serverless.yml':
        'functions:\n  f:\n    events:\n      - eventBridge:\n          retryPolicy:\n            maximumRetryAttempts: 200\n          pattern:\n            source: [aws.mgn]\n',
    });
    await expect(loadRules(dir)).rejects.toThrow(/maximumRetryAttempts: 200: an integer from 0 to 185/);
  });
});
