import type { ServerResponse } from 'node:http';
import { AwsError, type LocalRequest, type LocalService, handleJsonProtocol, jsonTarget } from '../protocol.ts';

/**
 * CloudWatch metrics stand-in (awsJson1_0, target prefix `GraniteServiceVersion20100801`, what
 * `@aws-sdk/client-cloudwatch` speaks): GetMetricStatistics for `AWS/Lambda` `Invocations` and `Errors` by
 * `FunctionName`, counted from the local Lambda's invocation records on the simulated clock. Enough for
 * `mgn-flow doctor` to ask "has the reconciler run in the last 15 minutes" as it asks AWS.
 */

export const CLOUDWATCH_TARGET = 'GraniteServiceVersion20100801';

export interface InvocationSource {
  invocations: readonly { functionKey: string; startedAt: number; ok: boolean }[];
  functionName(key: string): string;
}

export function createCloudWatch(opts: { lambda: InvocationSource }): LocalService {
  const getMetricStatistics = (input: Record<string, unknown>) => {
    const { Namespace, MetricName, StartTime, EndTime, Period } = input as { Namespace?: string; MetricName?: string; StartTime?: number; EndTime?: number; Period?: number };
    if (typeof StartTime !== 'number' || typeof EndTime !== 'number' || typeof Period !== 'number' || Period <= 0) throw new AwsError('InvalidParameterValue', 'StartTime, EndTime and Period are required');
    const dims = (input.Dimensions ?? []) as { Name: string; Value: string }[];
    const fnName = dims.find((d) => d.Name === 'FunctionName')?.Value;
    if (Namespace !== 'AWS/Lambda' || !['Invocations', 'Errors'].includes(String(MetricName)) || !fnName) return { Label: MetricName, Datapoints: [] };
    const from = StartTime * 1000;
    const to = EndTime * 1000;
    const buckets = new Map<number, number>();
    for (const r of opts.lambda.invocations) {
      if (opts.lambda.functionName(r.functionKey) !== fnName || r.startedAt < from || r.startedAt >= to) continue;
      if (MetricName === 'Errors' && r.ok) continue;
      const b = from + Math.floor((r.startedAt - from) / (Period * 1000)) * Period * 1000;
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
    }
    return { Label: MetricName, Datapoints: [...buckets].sort((a, b) => a[0] - b[0]).map(([t, n]) => ({ Timestamp: t / 1000, Sum: n, SampleCount: n, Unit: 'Count' })) };
  };
  return {
    name: 'cloudwatch',
    matches: (req: LocalRequest) => jsonTarget(req, CLOUDWATCH_TARGET) !== undefined,
    handle: (req: LocalRequest, res: ServerResponse) =>
      handleJsonProtocol(req, res, { prefix: CLOUDWATCH_TARGET, namespace: 'com.amazonaws.cloudwatch', contentType: 'application/x-amz-json-1.0', operations: { GetMetricStatistics: getMetricStatistics } }),
  };
}
