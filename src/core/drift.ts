import type { OpenWait, ServerView } from '../ports.ts';
import { PARKED_STATES } from './lifecycle.ts';

/**
 * Console drift (docs/adr/0004, "Console drift"): a server parked at a gate, in its soak or in a hold waits
 * on people or on time, not on MGN, so nothing would notice if someone changed it in the MGN console. The
 * reconciler reads it anyway and compares it with what the parked state implies. A change by hand (a launch,
 * a revert, a mark, a finalize, a disconnect, an archive) fails the wait with `ConsoleDrift`; the state
 * machine catches it and goes back to Route, which maps MGN's new state to the right step.
 */

/** What changed by hand while `wait` was parked, or undefined when MGN still matches it. */
export function consoleDrift(wait: OpenWait, server: ServerView | undefined): string | undefined {
  const expected = PARKED_STATES[wait.state];
  if (!expected) return undefined;
  if (!server) return 'MGN no longer knows the source server';
  if (server.isArchived) return `the server was archived in MGN (${server.lifeCycle})`;
  if (!expected.includes(server.lifeCycle)) return `MGN shows ${server.lifeCycle} where ${wait.state} expects ${expected.join(' or ')}`;
  const parkedAt = Date.parse(wait.createdAt);
  const after = (t: string | undefined) => t !== undefined && Date.parse(t) > parkedAt;
  if (after(server.lastTest.initiatedAt)) return `a test launch was made in MGN (job ${server.lastTest.jobId ?? 'unknown'}) while the server waited in ${wait.state}`;
  if (after(server.lastCutover.initiatedAt)) return `a cutover launch was made in MGN (job ${server.lastCutover.jobId ?? 'unknown'}) while the server waited in ${wait.state}`;
  return undefined;
}
