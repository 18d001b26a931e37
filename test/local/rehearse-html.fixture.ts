import type { Forecast } from '../../src/local/rehearse.ts';

/**
 * A forecast made by hand for the HTML timeline's tests (no rehearsal run): a week in Berlin from Monday
 * 30 November 2026 09:00, a Saturday-night cutover window, a freeze the night before; a canary that fits the
 * window and an application whose go/no-go is never decided, so it misses the window. Texts carry HTML.
 */
const at = (iso: string) => Date.parse(iso);

export const NASTY = {
  wave: 'wave <7> & "friends"',
  canary: 'billing <prod> & "eu"',
  missed: "portal's <front>",
  approver: 'qa&lead@example.com',
  cab: '<cab>@example.com',
  risk: 'portal: misses the cutover window <script>alert(1)</script> & more',
  freeze: 'payroll run <b>closing</b> & audit',
  assumption: 'approvers decide 4 h after they are asked <i>in office hours</i>',
  why: 'GoNoGoExpired: nobody decided <in time> & the window closed',
};

export function handMadeForecast(): Forecast {
  return {
    wave: NASTY.wave,
    timeZone: 'Europe/Berlin',
    waveFile: '/waves/<wave>.yaml',
    seed: 7,
    startedAt: at('2026-11-30T08:00:00Z'),
    endedAt: at('2026-12-07T11:00:00Z'),
    outcome: 'FAILED',
    cutoverWindow: { start: at('2026-12-05T01:00:00Z'), end: at('2026-12-05T05:00:00Z') },
    freeze: [{ start: at('2026-12-03T17:00:00Z'), end: at('2026-12-04T07:00:00Z'), reason: NASTY.freeze }],
    applications: [
      {
        name: NASTY.canary,
        servers: 2,
        canary: true,
        testLaunchAt: at('2026-11-30T08:00:00Z'),
        testLaunchedAt: at('2026-11-30T08:20:00Z'),
        cutoverLaunchAt: at('2026-12-05T01:00:00Z'),
        cutoverLaunchedAt: at('2026-12-05T01:25:00Z'),
        finalizedAt: at('2026-12-05T03:10:00Z'),
        gates: [
          { gate: 'SIGNOFF', askedAt: at('2026-11-30T08:25:00Z'), decidedAt: at('2026-12-01T12:00:00Z'), decision: 'approve', approvers: [NASTY.approver] },
          { gate: 'GO_NO_GO', askedAt: at('2026-12-01T12:05:00Z'), decidedAt: at('2026-12-02T09:00:00Z'), decision: 'approve', approvers: [NASTY.cab] },
          { gate: 'FINALIZE', askedAt: at('2026-12-05T01:40:00Z'), decidedAt: at('2026-12-05T03:00:00Z'), decision: 'approve', approvers: ['ops-lead@example.com'] },
        ],
        result: 'succeeded',
        fitsWindow: true,
        testInstanceHours: 62.5,
        ec2CostUsd: 12.34,
      },
      {
        name: NASTY.missed,
        servers: 3,
        canary: false,
        testLaunchAt: at('2026-12-02T09:00:00Z'),
        testLaunchedAt: at('2026-12-02T09:30:00Z'),
        gates: [
          { gate: 'SIGNOFF', askedAt: at('2026-12-02T09:35:00Z'), decidedAt: at('2026-12-03T13:00:00Z'), decision: 'approve', approvers: [NASTY.approver] },
          { gate: 'GO_NO_GO', askedAt: at('2026-12-05T01:00:00Z'), approvers: [NASTY.cab, 'cto@example.com'] },
        ],
        result: 'failed',
        why: NASTY.why,
        fitsWindow: false,
        testInstanceHours: 84.25,
        ec2CostUsd: 40.5,
      },
    ],
    quotas: { peakJobs: 2, jobQuota: 20, peakServersInJobs: 3, serversInJobsQuota: 200, peakWaitingAtLaunchPoints: 3 },
    approvals: { perDay: { '2026-11-30': 1, '2026-12-01': 2, '2026-12-02': 2, '2026-12-05': 2 }, perApprover: { [NASTY.approver]: 2, [NASTY.cab]: 2, 'ops-lead@example.com': 1, 'cto@example.com': 1 } },
    testInstanceHours: 146.75,
    ec2CostUsd: 52.84,
    risks: [
      { kind: 'window-missed', application: NASTY.missed, message: NASTY.risk },
      { kind: 'gate-expired', application: NASTY.missed, message: `${NASTY.missed}: GO_NO_GO asked Sat 2026-12-05 02:00 was never decided in time` },
      { kind: 'freeze', message: `a freeze (${NASTY.freeze}) falls inside the wave` },
    ],
    assumptions: [NASTY.assumption, 'replication caught up when the wave starts'],
    wallSeconds: 3.2,
    mgnCalls: 120,
    transitions: 240,
  };
}

/** No applications, no window, no freeze, nothing decided: the page still renders. */
export function emptyForecast(): Forecast {
  const t = Date.parse('2026-11-30T08:00:00Z');
  return {
    wave: 'empty',
    timeZone: 'UTC',
    waveFile: 'empty.yaml',
    seed: 1,
    startedAt: t,
    endedAt: t,
    outcome: 'SUCCEEDED',
    cutoverWindow: null,
    freeze: [],
    applications: [],
    quotas: { peakJobs: 0, jobQuota: 20, peakServersInJobs: 0, serversInJobsQuota: 200, peakWaitingAtLaunchPoints: 0 },
    approvals: { perDay: {}, perApprover: {} },
    testInstanceHours: 0,
    ec2CostUsd: 0,
    risks: [],
    assumptions: [],
    wallSeconds: 0,
    mgnCalls: 0,
    transitions: 0,
  };
}
