import type { LifeCycleState, Server } from './model.ts';

/**
 * Which lifecycle states each launch and each ChangeServerLifeCycleState target accepts. The emulator
 * enforces exactly this table (docs/adr/0002-mgn-emulator.md explains each row and its source); a server
 * outside it gets ConflictException. A launch also needs a launchable server (lagDuration not null) and no
 * active job; see `launchBlocker`.
 */
export const LIFECYCLE_TABLE = {
  StartTest: ['READY_FOR_TEST', 'TESTING'],
  StartCutover: ['READY_FOR_TEST', 'READY_FOR_CUTOVER'],
  'ChangeServerLifeCycleState:READY_FOR_TEST': ['TESTING', 'READY_FOR_CUTOVER'],
  'ChangeServerLifeCycleState:READY_FOR_CUTOVER': ['READY_FOR_TEST', 'TESTING', 'CUTTING_OVER'],
  'ChangeServerLifeCycleState:CUTOVER': ['CUTTING_OVER'],
  FinalizeCutover: ['CUTTING_OVER'],
  TerminateTargetInstances: ['NOT_READY', 'READY_FOR_TEST', 'READY_FOR_CUTOVER', 'DISCONNECTED', 'STOPPED'],
  MarkAsArchived: ['CUTOVER', 'DISCONNECTED'],
} as const satisfies Record<string, readonly LifeCycleState[]>;

export type LifecycleRule = keyof typeof LIFECYCLE_TABLE;

export interface Blocker {
  code: string;
  message: string;
}

export function allowed(rule: LifecycleRule, state: LifeCycleState): boolean {
  return (LIFECYCLE_TABLE[rule] as readonly LifeCycleState[]).includes(state);
}

/** Why `rule` cannot run on `s` now, or undefined when it can. */
export function blocker(rule: LifecycleRule, s: Server): Blocker | undefined {
  const state = s.lifeCycle.state;
  if (s.isArchived && rule !== 'MarkAsArchived') {
    return { code: 'SOURCE_SERVER_ARCHIVED', message: `Source server ${s.id} is archived` };
  }
  if (!allowed(rule, state)) {
    return {
      code: 'INVALID_LIFECYCLE_STATE',
      message: `${rule.replace(':', ' to ')} is not allowed for source server ${s.id} in lifecycle state ${state}; allowed from ${LIFECYCLE_TABLE[rule].join(', ')}`,
    };
  }
  if (rule === 'MarkAsArchived') return undefined;
  if (s.activeJobID) {
    return { code: 'SOURCE_SERVER_IN_ACTIVE_JOB', message: `Source server ${s.id} is in active job ${s.activeJobID}` };
  }
  if (rule === 'StartTest' && state === 'TESTING' && s.lastLaunch?.status === 'IN_PROGRESS') {
    return { code: 'LAUNCH_IN_PROGRESS', message: `Test launch of ${s.id} is still in progress` };
  }
  const needsLaunchable = rule === 'StartTest' || rule === 'StartCutover' || rule.startsWith('ChangeServerLifeCycleState');
  if (needsLaunchable && !s.repl.launchable) {
    return {
      code: 'SOURCE_SERVER_NOT_LAUNCHABLE',
      message: `Source server ${s.id} is not launchable yet (dataReplicationInfo.lagDuration is null)`,
    };
  }
  if (
    (rule === 'FinalizeCutover' || rule === 'ChangeServerLifeCycleState:CUTOVER') &&
    !(s.lastLaunch?.kind === 'CUTOVER' && s.lastLaunch.status === 'LAUNCHED')
  ) {
    return {
      code: 'NO_SUCCESSFUL_CUTOVER_LAUNCH',
      message: `Source server ${s.id} has no successfully launched cutover instance to finalize`,
    };
  }
  return undefined;
}
