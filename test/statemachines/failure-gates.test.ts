import { describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { decideWhenAsked, entered, injectServer, mgnCalls, readGate, serverIds, startServers, until, withCloud } from './lifecycle-helpers.ts';

/**
 * Issue 13, "Failure gates per application (one request, one decision for the servers of that launch)":
 * the servers of one failed launch relaunch together, reach one failure gate together, are asked about in one
 * request and released by one decision; a retry relaunches them in one job. Read from the emulator's request
 * log and the gate records, on the local cloud.
 */

const sorted = (xs: readonly string[]) => [...xs].sort();

/** StartTest / StartCutover requests MGN applied (202), as the sets of servers each launched. */
function launched(cloud: LocalCloud, operation: 'StartTest' | 'StartCutover'): string[][] {
  return mgnCalls(cloud, operation).filter((c) => c.status === 202).map((c) => sorted(c.ids ?? []));
}

/** Approval requests (one per gate, to the approvals topic) of one gate kind. */
function requests(cloud: LocalCloud, gate: string): { gateId: string; text: string }[] {
  return cloud.sns
    .outbox()
    .filter((m) => m.attributes.kind?.StringValue === 'request' && m.attributes.gate?.StringValue === gate)
    .map((m) => ({ gateId: String(m.attributes.gateId?.StringValue), text: String(m.message) }));
}

describe('failure gates per application', () => {
  it('two servers of a four-server launch fail twice: one relaunch job for both, one failure gate and request, retry relaunches both in one job', { timeout: 120_000 }, async () => {
    await withCloud({ servers: 4 }, async (cloud) => {
      const ids = serverIds(cloud);
      const bad = sorted([ids[1] as string, ids[2] as string]);
      for (const id of bad) await injectServer(cloud, id, { failLaunches: 2 });
      const arns = startServers(cloud, { ids, plan: { maxTestLaunches: 2 } });

      // the first launch (all four) fails for two; they relaunch together (one job), fail again, and meet at one gate
      const gateId = await decideWhenAsked(cloud, 'wave-1#app-1#TEST_FAILURE#1-2-*', 'retry');
      await until('every server soaking', () => arns.every((arn) => entered(cloud, arn, 'Soak')), 60_000);

      expect(launched(cloud, 'StartTest')).toEqual([sorted(ids), bad, bad]);
      const asked = requests(cloud, 'TEST_FAILURE');
      expect(asked.map((r) => r.gateId)).toEqual([gateId]);
      for (const id of bad) expect(asked[0]?.text).toContain(id);
      const gate = await readGate(cloud, gateId);
      expect({ servers: gate?.servers, arrived: gate?.arrived, released: gate?.decision?.released, status: gate?.status }).toEqual({ servers: bad, arrived: bad, released: bad, status: 'DECIDED' });
      // the gate is the second launch's: its id ends with that job
      const second = cloud.emulator.http.log.find((r) => r.operation === 'StartTest' && r.status === 202 && sorted(r.sourceServerIDs ?? []).join() === bad.join());
      expect(second).toBeDefined();
      expect(gate?.job).toMatch(/^mgnjob-/);
      expect(gateId.endsWith(`-${gate?.job}`)).toBe(true);
      // no other failure gate was opened, and the sign-off waits for all four
      await until('the sign-off request', () => requests(cloud, 'SIGNOFF').length === 1, 60_000);
      expect(requests(cloud, 'TEST_FAILURE')).toHaveLength(1);
    });
  });

  it('a cutover launch failing for two servers: one gate, one request; rollback reverts both and cuts nobody over twice', { timeout: 120_000 }, async () => {
    await withCloud({ servers: 3 }, async (cloud) => {
      const ids = serverIds(cloud);
      const bad = sorted([ids[0] as string, ids[2] as string]);
      const arns = startServers(cloud, { ids });
      await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
      await until('the go/no-go request', () => requests(cloud, 'GO_NO_GO').length === 1, 60_000);
      for (const id of bad) await injectServer(cloud, id, { failNextLaunch: true });
      await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });

      const gateId = await decideWhenAsked(cloud, 'wave-1#app-1#CUTOVER_FAILURE#1-1-*', 'rollback');
      const results = await Promise.all(bad.map((id) => cloud.host.settled(arns[ids.indexOf(id)] as string)));
      expect(results.map((r) => r.error)).toEqual(['RolledBack', 'RolledBack']);

      expect(launched(cloud, 'StartCutover')).toEqual([sorted(ids)]);
      expect(requests(cloud, 'CUTOVER_FAILURE').map((r) => r.gateId)).toEqual([gateId]);
      const gate = await readGate(cloud, gateId);
      expect({ servers: gate?.servers, released: gate?.decision?.released }).toEqual({ servers: bad, released: bad });
      for (const id of bad) expect(cloud.emulator.engine.servers.get(id)?.lifeCycle.state).toBe('READY_FOR_CUTOVER');
    });
  });
});
