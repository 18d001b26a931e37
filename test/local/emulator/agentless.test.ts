import { DescribeJobLogItemsCommand, DescribeSourceServersCommand, type MgnClient, type SourceServer, StartTestCommand, UpdateLaunchConfigurationCommand, UpdateSourceServerReplicationTypeCommand } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../../helpers/emulator.ts';

async function serverOf(mgn: MgnClient, id: string): Promise<SourceServer> {
  return (await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [id] } }))).items?.[0] as SourceServer;
}

describe('emulator: agentless (SNAPSHOT_SHIPPING) replication and stopped launches', () => {
  const start = useEmulator();

  it('replicates an agentless server by periodic snapshots: never CONTINUOUS, lag the age of the last shipped snapshot', async () => {
    const env = await start({ servers: 1, start: 'ready-for-test' });
    const [id] = (await env.ids()) as [string];
    const r = await env.mgn.send(new UpdateSourceServerReplicationTypeCommand({ sourceServerID: id, replicationType: 'SNAPSHOT_SHIPPING' }));
    expect(r.replicationType).toBe('SNAPSHOT_SHIPPING');
    await env.advance(30 * 60);
    const seen = new Map<string, string[]>();
    for (let m = 0; m < 20; m++) {
      const s = await serverOf(env.mgn, id);
      const state = String(s.dataReplicationInfo?.dataReplicationState);
      seen.set(state, [...(seen.get(state) ?? []), String(s.dataReplicationInfo?.lagDuration)]);
      expect(Date.parse(String(s.dataReplicationInfo?.lastSnapshotDateTime))).toBeLessThanOrEqual(env.emu.clock.now());
      await env.advance(60);
    }
    expect([...seen.keys()].sort()).toEqual(['PENDING_SNAPSHOT_SHIPPING', 'SHIPPING_SNAPSHOT']);
    // the lag grows between snapshots (to the 10-minute period) and starts again after each one
    const lags = [...seen.values()].flat();
    expect(lags.some((l) => l === 'P0D' || /^PT\d{1,2}(\.\d+)?S$/.test(l))).toBe(true);
    expect(lags.some((l) => /^PT(9|10)M/.test(l))).toBe(true);
    expect((await serverOf(env.mgn, id)).lifeCycle?.state).toBe('READY_FOR_TEST');
  });

  it('launches an agentless server from its last shipped snapshot, and leaves a STOPPED launch stopped (firstBoot STOPPED)', async () => {
    const env = await start({ servers: 2, start: 'ready-for-test' });
    const [agentless, stopped] = (await env.ids()) as [string, string];
    await env.mgn.send(new UpdateSourceServerReplicationTypeCommand({ sourceServerID: agentless, replicationType: 'SNAPSHOT_SHIPPING' }));
    await env.advance(30 * 60);
    await env.mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: stopped, launchDisposition: 'STOPPED' }));
    const job = (await env.mgn.send(new StartTestCommand({ sourceServerIDs: [agentless, stopped] }))).job;
    await env.advance(3600);
    const log = (await env.mgn.send(new DescribeJobLogItemsCommand({ jobID: String(job?.jobID) }))).items ?? [];
    const events = (id: string) => log.filter((l) => l.eventData?.sourceServerID === id).map((l) => l.event);
    expect(events(agentless)).toContain('USING_PREVIOUS_SNAPSHOT');
    expect(events(agentless)).not.toContain('SNAPSHOT_START');
    expect(events(stopped)).toContain('SNAPSHOT_START');
    expect((await serverOf(env.mgn, stopped)).launchedInstance?.firstBoot).toBe('STOPPED');
    expect((await serverOf(env.mgn, agentless)).launchedInstance?.firstBoot).toBe('SUCCEEDED');
  });
});
