import { MgnClient, UpdateSourceServerReplicationTypeCommand } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { autoApprove, serverIds, startWave, until, waveOf, withCloud } from './lifecycle-helpers.ts';

function mgn(cloud: LocalCloud): MgnClient {
  return new MgnClient({ region: cloud.info.region, endpoint: cloud.endpoints.mgn, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

describe('agentless replication and stopped launches', () => {
  it('takes an agentless (SNAPSHOT_SHIPPING) server and a server launched STOPPED to CUTOVER; post-launch actions run on the test launch only', { timeout: 90_000 }, async () => {
    await withCloud({ servers: 2, applications: 1 }, async (cloud) => {
      const [agentless, stopped] = serverIds(cloud) as [string, string];
      const engine = cloud.emulator.engine;
      // the agentless server: switched to snapshot shipping through MGN's API; replication starts over
      const client = mgn(cloud);
      const switched = await client.send(new UpdateSourceServerReplicationTypeCommand({ sourceServerID: agentless, replicationType: 'SNAPSHOT_SHIPPING' }));
      client.destroy();
      expect(switched.replicationType).toBe('SNAPSHOT_SHIPPING');
      await until('the first snapshot shipped', () => engine.servers.get(agentless)?.repl.state === 'PENDING_SNAPSHOT_SHIPPING', 60_000);

      const wave = waveOf(cloud);
      const app = wave.applications[0] as (typeof wave.applications)[number];
      app.servers = [
        {
          id: agentless,
          launch: { postLaunchActionsDeployment: 'TEST_ONLY' },
          postLaunchActions: [{ actionId: 'smoke', actionName: 'smoke', documentIdentifier: 'AWS-RunShellScript', order: 1001, active: true, mustSucceedForCutover: true }],
        },
        { id: stopped, launch: { launchDisposition: 'STOPPED' } },
      ];
      const stop = autoApprove(cloud);
      const r = await cloud.host.settled(await startWave(cloud, wave));
      stop();
      expect({ status: r.status, error: r.error, cause: r.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });

      for (const id of [agentless, stopped]) {
        const s = engine.servers.get(id);
        expect({ id, state: s?.lifeCycle.state, archived: s?.isArchived }).toEqual({ id, state: 'CUTOVER', archived: true });
      }
      expect(engine.servers.get(agentless)?.replicationType).toBe('SNAPSHOT_SHIPPING');

      const jobs = [...engine.jobs.values()].filter((j) => j.type === 'LAUNCH');
      const test = jobs.find((j) => j.initiatedBy === 'START_TEST');
      const cutover = jobs.find((j) => j.initiatedBy === 'START_CUTOVER');
      // agentless: the launch converts the last shipped snapshot (no snapshot of its own)
      expect(cutover?.log.filter((l) => l.eventData?.sourceServerID === agentless).map((l) => l.event)).toContain('USING_PREVIOUS_SNAPSHOT');
      expect(cutover?.log.filter((l) => l.eventData?.sourceServerID === stopped).map((l) => l.event)).toContain('SNAPSHOT_END');
      // TEST_ONLY: the action ran on the test instance, not on the cutover instance
      const part = (j: typeof test, id: string) => j?.participants.find((p) => p.sourceServerID === id);
      expect(part(test, agentless)?.postLaunch?.list.map((a) => [a.ssmDocument.actionName, a.executionStatus])).toEqual([['smoke', 'SUCCESS']]);
      expect(part(cutover, agentless)?.postLaunch).toBeUndefined();
      // launchDisposition STOPPED: the instance never booted, and verification did not wait for it
      expect(part(cutover, stopped)?.launchStatus).toBe('LAUNCHED');
      expect(engine.servers.get(stopped)?.launchedInstance?.firstBoot).toBe('STOPPED');
      expect(part(test, stopped)?.postLaunch).toBeUndefined();
    });
  });
});
