import { describe, expect, it } from 'vitest';
import { route } from '../../src/core/route.ts';
import { FakeMgn, ManualClock, jobView, serverView } from '../helpers/fakes.ts';

const S = 's-aaaaaaaaaaaaaaaaa';
const DAY = 86400;

function setup(patch: Parameters<typeof serverView>[1], job?: { status: 'PENDING' | 'STARTED' | 'COMPLETED'; launch: string }) {
  const clock = new ManualClock('2026-03-10T12:00:00.000Z');
  const mgn = new FakeMgn({ clock, servers: [serverView(S, patch)] });
  if (job) {
    mgn.addJob(jobView('mgnjob-aaaaaaaaaaaaaaaaa', [S], { status: job.status }));
    mgn.setParticipant('mgnjob-aaaaaaaaaaaaaaaaa', S, { launchStatus: job.launch });
  }
  return { mgn, clock };
}

describe('route', () => {
  it('counts a resumed soak from the test launch, not from the resume', async () => {
    const { mgn, clock } = setup(
      { lifeCycle: 'TESTING', lastTest: { jobId: 'mgnjob-aaaaaaaaaaaaaaaaa', initiatedAt: '2026-03-07T12:00:00.000Z' } },
      { status: 'COMPLETED', launch: 'LAUNCHED' },
    );
    const r = await route({ mgn, clock }, S, { archive: true, soakSeconds: 14 * DAY });
    expect(r).toMatchObject({ phase: 'VERIFY_TEST', jobId: 'mgnjob-aaaaaaaaaaaaaaaaa', soakRemainingSeconds: 11 * DAY });
  });

  it('keeps at least a minute of soak when the soak already passed', async () => {
    const { mgn, clock } = setup(
      { lifeCycle: 'TESTING', lastTest: { jobId: 'mgnjob-aaaaaaaaaaaaaaaaa', initiatedAt: '2026-01-01T00:00:00.000Z' } },
      { status: 'COMPLETED', launch: 'LAUNCHED' },
    );
    expect((await route({ mgn, clock }, S, { archive: true, soakSeconds: 14 * DAY })).soakRemainingSeconds).toBe(60);
  });

  it('gives the whole soak before any test launch, and names the states it cannot continue from', async () => {
    const { mgn, clock } = setup({ lifeCycle: 'READY_FOR_TEST' });
    expect(await route({ mgn, clock }, S, { archive: true, soakSeconds: 14 * DAY })).toMatchObject({ phase: 'TEST_LAUNCH', soakRemainingSeconds: 14 * DAY });
    // known to MGN without an agent: wait for it, do not fail
    for (const lifeCycle of ['DISCOVERED', 'PENDING_INSTALLATION'] as const) {
      mgn.setServer(S, { lifeCycle });
      expect(await route({ mgn, clock }, S, { archive: true, soakSeconds: DAY })).toMatchObject({ phase: 'AWAIT_AGENT', lifeCycle });
    }
    mgn.setServer(S, { lifeCycle: 'DISCONNECTED' });
    await expect(route({ mgn, clock }, S, { archive: true, soakSeconds: DAY })).rejects.toMatchObject({ name: 'ServerNotMigratableError' });
    mgn.setServer(S, { lifeCycle: 'CUTOVER' });
    expect((await route({ mgn, clock }, S, { archive: false, soakSeconds: DAY })).phase).toBe('DONE');
    expect((await route({ mgn, clock }, S, { archive: true, soakSeconds: DAY })).phase).toBe('ARCHIVE');
  });
});
