import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsPort } from '../../ports.ts';

/**
 * The metrics port on Powertools Metrics: each metric is written at once as one Embedded Metric Format
 * document on stdout, which CloudWatch Logs turns into a metric of the namespace (POWERTOOLS_METRICS_NAMESPACE,
 * serverless.yml sets mgn-flow-<stage>) with the `service` dimension and the given ones. Nothing to call, so
 * no IAM. POWERTOOLS_METRICS_DISABLED=true turns it off (read at each metric: the local cloud sets it).
 */
export function createMetricsPort(): MetricsPort {
  return {
    add(name, unit, value, dimensions = {}, metadata = {}) {
      const m = new Metrics({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'mgn-flow', ...(process.env.POWERTOOLS_METRICS_NAMESPACE ? {} : { namespace: 'mgn-flow' }) });
      for (const [k, v] of Object.entries(dimensions)) m.addDimension(k, v);
      for (const [k, v] of Object.entries(metadata)) m.addMetadata(k, v);
      m.addMetric(name, unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, value);
      m.publishStoredMetrics();
    },
  };
}

/** For callers that must not write metrics (the CLI: its stdout is its output). */
export const noMetrics: MetricsPort = { add: () => undefined };
