import { describe, expect, it } from 'vitest';
import type { MgnPlanResult } from '../../src/core/mgn-plan.ts';
import type { Wave } from '../../src/core/wave-file.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { autoApprove, serverIds, startWave, until, withCloud } from './lifecycle-helpers.ts';

const PLAN_WRITES = /^(Create|Update|Archive|Unarchive|Associate|Disassociate)(Wave|Application|SourceServers|Applications)|^TagResource$/;

function planWrites(cloud: LocalCloud, since = 0): string[] {
  return cloud.emulator.http.log.filter((r) => r.seq > since && r.status < 300 && PLAN_WRITES.test(r.operation)).map((r) => r.operation);
}

function planWave(ids: string[], defaults: Partial<Wave['defaults']> = {}): Wave {
  const [a, b, c, d] = ids as [string, string, string, string];
  return {
    name: 'plan-wave',
    timeZone: 'UTC',
    source: { kind: 'file', file: 'plan-wave.yaml' },
    defaults: { soakDays: 1, concurrency: 10, failurePolicy: 'continue', archive: true, ...defaults },
    cutoverWindow: null,
    approvers: { testSignoff: [], goNoGo: [], finalize: [] },
    freeze: [],
    applications: [
      { name: 'Web Shop', canary: false, standalone: false, servers: [{ id: a }, { id: b }] },
      { name: 'billing-db', canary: false, standalone: false, servers: [{ id: c }] },
      { name: d, canary: false, standalone: true, servers: [{ id: d }] },
    ],
  };
}

describe("MGN's plan in step with the wave", () => {
  it('creates the wave and its applications in MGN, associates and tags the servers; a second sync writes nothing; the end archives them', { timeout: 90_000 }, async () => {
    await withCloud({ servers: 4, applications: 0 }, async (cloud) => {
      const engine = cloud.emulator.engine;
      const ids = serverIds(cloud);
      const stop = autoApprove(cloud);
      const arn = await startWave(cloud, planWave(ids));
      await until('the wave in MGN', () => [...engine.waves.values()].some((w) => w.name === 'plan-wave') && [...engine.servers.values()].every((s) => s.tags['mgn-flow:wave'] === 'plan-wave'));

      const mgnWave = [...engine.waves.values()].find((w) => w.name === 'plan-wave');
      const apps = [...engine.applications.values()];
      expect(apps.map((a) => [a.name, a.waveID === mgnWave?.waveID, a.isArchived]).sort()).toEqual([
        ['Web Shop', true, false],
        ['billing-db', true, false],
      ]);
      const appOf = (name: string) => apps.find((a) => a.name === name)?.applicationID;
      expect(ids.map((id) => engine.servers.get(id)?.applicationID)).toEqual([appOf('Web Shop'), appOf('Web Shop'), appOf('billing-db'), undefined]);
      expect(ids.map((id) => engine.servers.get(id)?.tags)).toEqual([
        expect.objectContaining({ 'mgn-flow:wave': 'plan-wave', 'mgn-flow:application': 'Web Shop' }),
        expect.objectContaining({ 'mgn-flow:wave': 'plan-wave', 'mgn-flow:application': 'Web Shop' }),
        expect.objectContaining({ 'mgn-flow:wave': 'plan-wave', 'mgn-flow:application': 'billing-db' }),
        expect.objectContaining({ 'mgn-flow:wave': 'plan-wave', 'mgn-flow:application': ids[3] }),
      ]);
      // one of each: the wave, two applications, one association of both, two server associations, four tags
      expect(planWrites(cloud).sort()).toEqual(
        ['AssociateApplications', 'AssociateSourceServers', 'AssociateSourceServers', 'CreateApplication', 'CreateApplication', 'CreateWave', 'TagResource', 'TagResource', 'TagResource', 'TagResource'].sort(),
      );

      // the same plan again (a wave started again): MGN already matches, nothing is written
      const mark = cloud.emulator.http.log.at(-1)?.seq ?? 0;
      const again = (await cloud.lambda.invoke('syncMgnPlan', { wave: 'plan-wave' })) as MgnPlanResult;
      expect(again).toMatchObject({ wave: 'plan-wave', waveId: mgnWave?.waveID, changes: [], problems: [] });
      expect(planWrites(cloud, mark)).toEqual([]);

      const r = await cloud.host.settled(arn);
      stop();
      expect(r.status).toBe('SUCCEEDED');
      expect(mgnWave?.isArchived).toBe(true);
      expect([...engine.applications.values()].map((a) => a.isArchived)).toEqual([true, true]);
      expect(planWrites(cloud, mark).sort()).toEqual(['ArchiveApplication', 'ArchiveApplication', 'ArchiveWave']);
    });
  });

  it('leaves MGN alone when the wave says syncMgnPlan: false', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 4, applications: 0 }, async (cloud) => {
      const stop = autoApprove(cloud);
      const r = await cloud.host.settled(await startWave(cloud, planWave(serverIds(cloud), { syncMgnPlan: false })));
      stop();
      expect(r.status).toBe('SUCCEEDED');
      expect(planWrites(cloud)).toEqual([]);
      expect(cloud.emulator.engine.waves.size).toBe(0);
    });
  });
  it("runs the wave on when MGN keeps refusing the plan's writes (a mirror, not a condition): every server cuts over", { timeout: 90_000 }, async () => {
    await withCloud({ servers: 4, applications: 0 }, async (cloud) => {
      // every CreateWave answers 500, past the handler's and the state's retries
      const queue = await fetch(`${cloud.endpoints.mgn}/_emulator/errors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'InternalServerException', operation: 'CreateWave', count: 10_000 }) });
      expect(queue.status).toBe(200);
      const stop = autoApprove(cloud);
      const r = await cloud.host.settled(await startWave(cloud, planWave(serverIds(cloud))));
      stop();
      expect(r.status).toBe('SUCCEEDED');
      expect(cloud.emulator.engine.waves.size).toBe(0);
      expect([...cloud.emulator.engine.servers.values()].map((x) => x.lifeCycle.state)).toEqual(['CUTOVER', 'CUTOVER', 'CUTOVER', 'CUTOVER']);
    });
  });
});
