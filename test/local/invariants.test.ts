import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/local/emulator/model.ts';
import { doubleLaunches } from '../../src/local/invariants.ts';

const job = (jobID: string, createdAt: number, initiatedBy: Job['initiatedBy'], parts: [string, string, boolean?][]): Job => ({
  jobID,
  arn: `arn:${jobID}`,
  account: '111122223333',
  type: 'LAUNCH',
  initiatedBy,
  createdAt,
  status: 'COMPLETED',
  tags: {},
  log: [],
  participants: parts.map(([id, launchStatus, actionFailed]) => ({
    sourceServerID: id,
    launchStatus: launchStatus as Job['participants'][number]['launchStatus'],
    ...(actionFailed ? { postLaunch: { list: [{ ssmDocument: {}, ssmDocumentType: 'COMMAND' as const, executionStatus: 'FAILED' as const }] } } : {}),
  })),
});

describe('doubleLaunches (from MGN job records)', () => {
  it('flags a launch after one of the same kind that LAUNCHED well, and only that', () => {
    const jobs = new Map(
      [
        job('j1', 1, 'START_TEST', [['a', 'LAUNCHED'], ['b', 'FAILED'], ['c', 'LAUNCHED', true]]),
        job('j2', 2, 'START_TEST', [['b', 'LAUNCHED'], ['c', 'LAUNCHED']]),
        job('j3', 3, 'START_CUTOVER', [['a', 'LAUNCHED']]),
        job('j4', 4, 'START_TEST', [['a', 'LAUNCHED']]),
      ].map((j) => [j.jobID, j]),
    );
    // b relaunched after a failure, c after its post-launch action failed, a's cutover is another kind: fine
    expect(doubleLaunches({ jobs })).toEqual(['a: START_TEST j4 after j1 had LAUNCHED']);
  });
});
