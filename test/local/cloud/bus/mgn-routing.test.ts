import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type BusEvent, LocalBus } from '../../../../src/local/cloud/bus/bus.ts';
import { matches } from '../../../../src/local/cloud/bus/matcher.ts';
import { installRules, loadRules } from '../../../../src/local/cloud/bus/rules.ts';
import { fakeLambda, manualClock, mgnSample } from './helpers.ts';

/*
 * The three documented MGN events (reference/mgn-api.md section 10.1, bare values) against rules written like
 * AWS's sample ones: each event reaches the handler routed for it and no other.
 */
const rules: Record<string, object> = {
  onTestLaunchResult: {
    source: ['aws.mgn'],
    'detail-type': ['MGN Source Server Launch Result'],
    detail: { state: ['TEST_LAUNCH_SUCCEEDED', 'TEST_LAUNCH_FAILED'] },
  },
  onCutoverLaunchResult: {
    source: ['aws.mgn'],
    'detail-type': ['MGN Source Server Launch Result'],
    detail: { state: ['CUTOVER_LAUNCH_SUCCEEDED', 'CUTOVER_LAUNCH_FAILED'] },
  },
  onReadyForTest: {
    source: ['aws.mgn'],
    'detail-type': ['MGN Source Server Lifecycle State Change'],
    detail: { state: ['READY_FOR_TEST'] },
  },
  onStalled: {
    source: ['aws.mgn'],
    'detail-type': ['MGN Source Server Data Replication Stalled Change'],
    detail: { state: ['STALLED'] },
  },
  onStallRecovered: {
    source: ['aws.mgn'],
    'detail-type': ['MGN Source Server Data Replication Stalled Change'],
    detail: { state: ['NOT_STALLED'] },
  },
};

const cases: [string, BusEvent, string[]][] = [
  ['a test launch success', mgnSample('launch-result'), ['onTestLaunchResult']],
  ['a test launch failure', mgnSample('launch-result', { state: 'TEST_LAUNCH_FAILED' }), ['onTestLaunchResult']],
  ['a cutover launch success', mgnSample('launch-result', { state: 'CUTOVER_LAUNCH_SUCCEEDED' }), ['onCutoverLaunchResult']],
  ['a cutover launch failure', mgnSample('launch-result', { state: 'CUTOVER_LAUNCH_FAILED' }), ['onCutoverLaunchResult']],
  ['the first READY_FOR_TEST', mgnSample('lifecycle-state-change'), ['onReadyForTest']],
  ['a replication stall', mgnSample('replication-stalled'), ['onStalled']],
  ['a stall recovery', mgnSample('replication-stalled', { state: 'NOT_STALLED' }), ['onStallRecovered']],
  // the User Guide's italics artifact is not what MGN sends: a value wrapped in asterisks routes nowhere
  ['a launch result written as the guide renders it', mgnSample('launch-result', { state: '*TEST_LAUNCH_SUCCEEDED*' }), []],
  ['an event of another source', { ...mgnSample('lifecycle-state-change'), source: 'aws.ec2' }, []],
];

describe('MGN event routing', () => {
  it.each(cases)('routes %s to %j only', async (_name, event, expected) => {
    expect(Object.keys(rules).filter((key) => matches(rules[key] as object, event))).toEqual(expected);

    const clock = manualClock();
    const handlers = Object.fromEntries(Object.keys(rules).map((k) => [k, () => undefined]));
    const lambda = fakeLambda(clock, handlers);
    const bus = new LocalBus({ clock, lambda, region: 'us-west-2', accountId: '111122223333' });
    for (const [key, pattern] of Object.entries(rules)) bus.addRule({ name: key, pattern: pattern as Record<string, unknown>, target: { functionKey: key } });

    bus.publish(event);
    await bus.drain();

    expect(lambda.calls.map((c) => c.functionKey)).toEqual(expected);
    for (const call of lambda.calls) expect(call.event).toEqual(event);
  });

  it('routes each sample event to its handler through the rules a project declares', async () => {
    const root = fileURLToPath(new URL('../../../fixtures/eventbridge/project/', import.meta.url));
    const clock = manualClock();
    const lambda = fakeLambda(clock, { onLaunchResult: () => undefined, onReadyForTest: () => undefined, onStall: () => undefined, legacyStall: () => undefined });
    const bus = new LocalBus({ clock, lambda, region: 'us-west-2', accountId: '111122223333' });
    installRules(bus, await loadRules(root));

    const routed: Record<string, string[]> = {};
    for (const event of [
      mgnSample('launch-result'),
      mgnSample('launch-result', { state: 'CUTOVER_LAUNCH_FAILED' }),
      mgnSample('lifecycle-state-change'),
      mgnSample('replication-stalled'),
    ]) {
      lambda.calls.length = 0;
      bus.publish(event);
      await bus.drain();
      routed[`${event['detail-type']} ${String(event.detail.state)}`] = lambda.calls.map((c) => c.functionKey);
    }

    expect(routed).toEqual({
      'MGN Source Server Launch Result TEST_LAUNCH_SUCCEEDED': ['onLaunchResult'],
      'MGN Source Server Launch Result CUTOVER_LAUNCH_FAILED': ['onLaunchResult'],
      'MGN Source Server Lifecycle State Change READY_FOR_TEST': ['onReadyForTest'],
      'MGN Source Server Data Replication Stalled Change STALLED': ['onStall'],
    });
  });
});
