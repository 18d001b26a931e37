import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetricsPort } from '../../../src/adapters/aws/metrics.ts';
import { METRIC_NAMES } from '../../../src/core/metrics.ts';
import { autoApprove, decideWhenAsked, repoRoot, serverIds, startServers, startWave, waveOf, withCloud } from '../../statemachines/lifecycle-helpers.ts';

/**
 * The business metrics reach CloudWatch as Embedded Metric Format documents in the handlers' output (stdout,
 * which Lambda sends to CloudWatch Logs); the dashboard in the template charts each of them.
 */

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** The EMF documents written to stdout while `run` runs. */
async function captureEmf(run: () => Promise<void>): Promise<Emf[]> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('"_aws"')) lines.push(...text.split('\n').filter((l) => l.includes('"_aws"')));
    else return write(chunk as string, ...(rest as []));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Emf);
}

const named = (docs: Emf[], name: string) => docs.filter((d) => d._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === name)));

afterEach(() => {
  delete process.env.POWERTOOLS_METRICS_NAMESPACE;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});

describe('the metrics port', () => {
  it('writes one EMF document per metric: the namespace, the service and given dimensions, the value, metadata as plain keys', async () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'mgn-flow-test';
    const docs = await captureEmf(async () => createMetricsPort().add('GateWaitSeconds', 'Seconds', 42, { gate: 'SIGNOFF' }, { wave: 'wave-1' }));
    expect(docs).toHaveLength(1);
    const d = docs[0] as Emf;
    expect(d._aws.CloudWatchMetrics[0]).toEqual({ Namespace: 'mgn-flow-test', Dimensions: [['service', 'gate']], Metrics: [{ Name: 'GateWaitSeconds', Unit: 'Seconds' }] });
    expect(d).toMatchObject({ service: 'mgn-flow', gate: 'SIGNOFF', GateWaitSeconds: 42, wave: 'wave-1' });
  });

  it('writes nothing when POWERTOOLS_METRICS_DISABLED is true', async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    expect(await captureEmf(async () => createMetricsPort().add('Holds', 'Count', 1))).toEqual([]);
  });
});

describe('metrics in the handlers output, on the local cloud', () => {
  it('a lifecycle of three servers: launches started (TEST, CUTOVER), gate waiting time per gate, event-to-resume latency', { timeout: 60_000 }, async () => {
    const docs = await captureEmf(() =>
      withCloud({ metrics: true }, async (cloud) => {
        const ids = serverIds(cloud);
        const arns = startServers(cloud, { ids });
        await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
        await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });
        await decideWhenAsked(cloud, 'wave-1#app-1#FINALIZE#1-1', 'approve');
        await Promise.all(arns.map((a) => cloud.host.settled(a)));
      }),
    );
    for (const d of docs) expect(d._aws.CloudWatchMetrics[0]?.Namespace).toBe('mgn-flow-dev');
    const launches = named(docs, 'LaunchesStarted');
    expect(launches.map((d) => [d.launch, d.LaunchesStarted]).sort()).toEqual([['CUTOVER', 3], ['TEST', 3]]);
    expect(named(docs, 'LaunchesFailed')).toEqual([]);
    const gates = named(docs, 'GateWaitSeconds');
    expect(gates.map((d) => d.gate).sort()).toEqual(['FINALIZE', 'GO_NO_GO', 'SIGNOFF']);
    for (const g of gates) expect(g.GateWaitSeconds).toBeGreaterThanOrEqual(0);
    const resumed = named(docs, 'EventToResumeSeconds');
    expect(resumed.length).toBeGreaterThan(0);
    for (const r of resumed) expect(r).toMatchObject({ event: expect.stringMatching(/^MGN Source Server /), server: expect.stringMatching(/^s-/) });
  });

  it('a wave: servers per phase at its report', { timeout: 60_000 }, async () => {
    const docs = await captureEmf(() =>
      withCloud({ metrics: true }, async (cloud) => {
        const stop = autoApprove(cloud);
        try {
          const arn = await startWave(cloud, waveOf(cloud));
          const r = await cloud.host.settled(arn);
          expect(r.status).toBe('SUCCEEDED');
        } finally {
          stop();
        }
      }),
    );
    const phases = named(docs, 'ServersInPhase');
    const last = new Map(phases.map((d) => [d.phase, d.ServersInPhase]));
    expect(last.get('succeeded')).toBe(3);
    expect(last.get('failed')).toBe(0);
    for (const d of phases) expect(d.wave).toBe('wave-1');
  });

  it('is quiet by default (tests and demos stay readable)', { timeout: 60_000 }, async () => {
    const docs = await captureEmf(() =>
      withCloud({}, async (cloud) => {
        const arns = startServers(cloud, { ids: serverIds(cloud) });
        await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
        void arns;
      }),
    );
    expect(docs).toEqual([]);
  });
});

describe('the dashboard', () => {
  it('charts every metric the core records, in the stage namespace', () => {
    const yml = readFileSync(resolve(repoRoot, 'serverless.yml'), 'utf8');
    const start = yml.indexOf('MetricsDashboard:');
    const body = yml.slice(start, yml.indexOf('\n\n', start));
    for (const name of METRIC_NAMES) expect(body, name).toContain(`"${name}"`);
    expect(body).toContain('"mgn-flow-${sls:stage}"');
  });
});
