import { describe, expect, it } from 'vitest';
import type { LocalCloud, LocalCloudOptions } from '../../src/local/cloud/index.ts';
import { autoApprove, lifecycleCloud, mgnCalls, serverIds, startServers, startWave, statePath, until, waveOf } from './lifecycle-helpers.ts';

/**
 * Issue 13, "Decide from MGN's ground truth": scenarios on the local cloud where MGN is slow, loses events or
 * is changed by hand in the console. Each runs on its own cloud in discrete-event time.
 */

const OPS = 'ops@example.com';

async function withCloud(opts: LocalCloudOptions, body: (cloud: LocalCloud) => Promise<void>): Promise<void> {
  const cloud = await lifecycleCloud(opts);
  try {
    await body(cloud);
  } finally {
    await cloud.close();
  }
}

function mgnServer(cloud: LocalCloud, id: string) {
  const s = cloud.emulator.engine.servers.get(id);
  if (!s) throw new Error(`no server ${id}`);
  return s;
}

/** The emulator's control route for one server (README "The MGN emulator"). */
async function inject(cloud: LocalCloud, serverId: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${cloud.endpoints.mgn}/_emulator/servers/${serverId}/inject`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.body?.cancel();
}

/** Let simulated time pass (the discrete clock jumps to each next thing that happens). */
async function elapse(cloud: LocalCloud, seconds: number): Promise<void> {
  const until_ = cloud.emulator.engine.now() + seconds * 1000;
  await until(`${seconds} s of simulated time`, () => cloud.emulator.engine.now() >= until_);
}

function opsSubjects(cloud: LocalCloud): string[] {
  return cloud.sns.outbox().filter((m) => m.endpoint === OPS).map((m) => String(m.subject));
}

/** The state whose task timed out (the last state entered before each TaskTimedOut event). */
function timedOutStates(cloud: LocalCloud, arn: string): string[] {
  let current = '';
  const out: string[] = [];
  for (const e of cloud.host.history(arn)) {
    if (e.type.endsWith('StateEntered')) current = String(e.details?.value.name);
    if (e.type === 'TaskTimedOut') out.push(current);
  }
  return out;
}

const HOUR = 3600;

describe('server lifecycle: MGN ground truth', () => {
  it('slow launches: a launch slower than the plan\'s wait timeouts times the wait out; MGN launches it later', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 2, seed: 5, faults: { slowLaunchRate: 1, slowLaunchMinS: 4 * HOUR, slowLaunchMaxS: 4 * HOUR } }, async (cloud) => {
      const ids = serverIds(cloud);
      const engine = cloud.emulator.engine;
      const phase = new Map(ids.map((id) => [id, engine.slowLaunch(mgnServer(cloud, id), 1)?.phase]));
      const arns = startServers(cloud, { ids });
      await until('each launch wait timed out', () => arns.every((a) => timedOutStates(cloud, a).length > 0));
      ids.forEach((id, i) => {
        // a slow conversion outlasts launchTimeoutSeconds (3 h), a slow boot verifyTimeoutSeconds (2 h)
        expect(timedOutStates(cloud, arns[i] as string)[0]).toBe(phase.get(id) === 'conversion' ? 'TestLaunchPoint' : 'AwaitTestVerify');
      });
      const [job] = [...engine.jobs.values()];
      const started = job?.createdAt ?? Number.NaN;
      // MGN's truth: the launch did succeed, later than the wait allowed
      await until('MGN launched and booted both', () => ids.every((id) => mgnServer(cloud, id).launchedInstance?.firstBoot === 'SUCCEEDED'));
      expect(engine.now() - started).toBeGreaterThan(3 * HOUR * 1000);
      expect(mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202)).toHaveLength(1);
      for (const id of ids) expect(mgnServer(cloud, id).lastLaunch?.status).toBe('LAUNCHED');
      // seed 5 draws one slow conversion and one slow boot: both timeouts are exercised
      expect([...phase.values()].sort()).toEqual(['boot', 'conversion']);
    });
  });

  it('a DISCOVERED or PENDING_INSTALLATION server waits for the agent, then routes on MGN\'s state', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 1 }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      // MGN knows the server (imported, discovered through vCenter) but no agent runs on it yet
      await inject(cloud, id, { agent: 'DISCOVERED' });
      const [arn] = startServers(cloud, { ids: [id] }) as [string];
      await until('waiting for the agent', () => statePath(cloud, arn).includes('AwaitAgent'));
      await elapse(cloud, 6 * HOUR);
      expect(cloud.host.describeExecution(arn).status).toBe('RUNNING');
      await inject(cloud, id, { agent: 'PENDING_INSTALLATION' });
      await elapse(cloud, 2 * HOUR);
      expect(statePath(cloud, arn)).toEqual(['Init', 'Route', 'RouteChoice', 'AwaitAgent']);
      // the agent is installed: replication starts (NOT_READY), the reconciler sees it and Route sends it on
      await inject(cloud, id, { agent: 'INSTALLED' });
      await until('the test launch', () => mgnCalls(cloud, 'StartTest').some((c) => c.status === 202));
      expect(statePath(cloud, arn).slice(0, 8)).toEqual(['Init', 'Route', 'RouteChoice', 'AwaitAgent', 'Route', 'RouteChoice', 'AwaitReady', 'TestLaunchPoint']);
      expect(cloud.host.describeExecution(arn).status).toBe('RUNNING');
      expect(mgnServer(cloud, id).lifeCycle.state).toBe('TESTING');
    });
  });

  it('launch settings are applied at every admission; post-launch actions dropped from the plan are removed from MGN', { timeout: 90_000 }, async () => {
    await withCloud({ servers: 1 }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const stop = autoApprove(cloud, { failure: 'rollback' });
      try {
        const action = (name: string, order: number, mustSucceedForCutover: boolean) => ({ actionId: name, actionName: name, documentIdentifier: `Company-${name}`, order, active: true, mustSucceedForCutover });
        // run 1: copy tags, two actions; the smoke test fails, the server is rolled back
        const wave = waveOf(cloud, { standalone: 1, defaults: { failurePolicy: 'continue' } });
        const app = wave.applications[0] as (typeof wave.applications)[number];
        app.servers[0] = { id, launch: { copyTags: true }, postLaunchActions: [action('smoke-test', 1001, true), action('cleanup', 1002, false)] };
        await inject(cloud, id, { failPostLaunchAction: 'smoke-test' });
        const first = await cloud.host.settled(await startWave(cloud, wave));
        expect(first.error).toBe('WaveIncomplete');
        expect(mgnServer(cloud, id).launchConfig.copyTags).toBe(true);
        expect([...mgnServer(cloud, id).actions.keys()].sort()).toEqual(['cleanup', 'smoke-test']);

        // run 2 of the same wave, its file changed: no tag copy, the cleanup action dropped
        app.servers[0] = { id, launch: { copyTags: false }, postLaunchActions: [action('smoke-test', 1001, true)] };
        // (the rollback's TERMINATE job may still run: MGN refuses the update until it ends, admission retries)
        await startWave(cloud, wave, 'wave-1-2');
        await until('the second attempt', () => cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).length === 2);
        expect(mgnServer(cloud, id).launchConfig.copyTags).toBe(false);
        expect([...mgnServer(cloud, id).actions.keys()]).toEqual(['smoke-test']);
        expect(mgnCalls(cloud, 'UpdateLaunchConfiguration').filter((c) => c.status === 200)).toHaveLength(2);
        expect(mgnCalls(cloud, 'RemoveSourceServerAction').filter((c) => c.status < 300)).toHaveLength(1);
        // the launch settings were in MGN before the second test launch
        const seqs = (op: string, status: number) => cloud.emulator.http.log.filter((r) => r.operation === op && r.status === status).map((r) => r.seq);
        await until('the second test launch', () => seqs('StartTest', 202).length === 2);
        expect(seqs('UpdateLaunchConfiguration', 200)[1] as number).toBeLessThan(seqs('StartTest', 202)[1] as number);
      } finally {
        stop();
      }
    });
  });
});
