import type { MetricsPort } from '../ports.ts';

/**
 * The business metrics and where they come from (one vocabulary; the dashboard in serverless.yml charts
 * these names):
 * - LaunchesStarted / LaunchesFailed (Count, launch TEST|CUTOVER): a launch point's StartTest/StartCutover.
 * - Holds (Count, reason freeze|window|readiness): a launch or a finalize held back.
 * - GateWaitSeconds (Seconds, gate): from a gate's opening to its decision.
 * - ReconcilerResolutions (Count): waits the reconciler resolved (what events missed).
 * - EventToResumeSeconds (Seconds, event): from an MGN event's time to the execution it resumed.
 * - ServersInPhase (Count, phase): the servers of a wave by result, at each wave report.
 * A handler emits them when it declares the `metrics` port; without it nothing is recorded.
 */
export type MetricName = 'LaunchesStarted' | 'LaunchesFailed' | 'Holds' | 'GateWaitSeconds' | 'ReconcilerResolutions' | 'EventToResumeSeconds' | 'ServersInPhase';

export const METRIC_NAMES: readonly MetricName[] = ['LaunchesStarted', 'LaunchesFailed', 'Holds', 'GateWaitSeconds', 'ReconcilerResolutions', 'EventToResumeSeconds', 'ServersInPhase'];

const UNIT: Record<MetricName, 'Count' | 'Seconds'> = {
  LaunchesStarted: 'Count',
  LaunchesFailed: 'Count',
  Holds: 'Count',
  GateWaitSeconds: 'Seconds',
  ReconcilerResolutions: 'Count',
  EventToResumeSeconds: 'Seconds',
  ServersInPhase: 'Count',
};

/** Record a metric when the caller has the metrics port (a handler that declares it, or the core's tests). */
export function metric(deps: object, name: MetricName, value: number, dimensions: Record<string, string> = {}, metadata: Record<string, string> = {}): void {
  if (!('metrics' in deps)) return;
  const m = (deps as { metrics?: MetricsPort }).metrics;
  m?.add(name, UNIT[name], value, dimensions, metadata);
}
