import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardTarget } from '../../src/cli/commands/dashboard.ts';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { run, TextSink } from '../cli/helpers.ts';
import { lifecycleCloud, serverIds, startServers, until } from '../statemachines/lifecycle-helpers.ts';

/** A GET with a Host header of our choosing (fetch sets its own). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboardTarget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-dash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the local cloud’s endpoints and state machines from .mgn-flow/local.json', () => {
    mkdirSync(join(dir, '.mgn-flow'), { recursive: true });
    writeFileSync(join(dir, '.mgn-flow', 'local.json'), JSON.stringify({ endpoints: { sfn: 'http://127.0.0.1:1', mgn: 'http://127.0.0.1:2' }, region: 'eu-west-1', stateMachines: { serverLifecycle: 'arn:sm' } }));
    expect(dashboardTarget({}, dir, {})).toMatchObject({ kind: 'local', region: 'eu-west-1', sfnEndpoint: 'http://127.0.0.1:1', mgnEndpoint: 'http://127.0.0.1:2', stateMachineArns: ['arn:sm'] });
    expect(dashboardTarget({ endpointUrl: 'http://127.0.0.1:9' }, dir, {})).toMatchObject({ sfnEndpoint: 'http://127.0.0.1:9', mgnEndpoint: 'http://127.0.0.1:9', stateMachineNames: [] });
  });

  it('returns the stage’s lifecycle machine by name on AWS', () => {
    expect(dashboardTarget({ stage: 'prod', region: 'eu-central-1', profile: 'ops' }, dir, {})).toEqual({
      kind: 'aws',
      region: 'eu-central-1',
      profile: 'ops',
      stateMachineNames: ['mgn-flow-prod-server-lifecycle'],
      stage: 'prod',
      title: 'prod · eu-central-1',
    });
    expect(dashboardTarget({ stage: 'dev' }, dir, { AWS_REGION: 'us-west-2' }).region).toBe('us-west-2');
  });
});

describe('mgn-flow dashboard', () => {
  it.each([
    [['--port', 'x'], ExitCode.Usage, 'Allowed: a whole number from 0 to 65535.'],
    [['--stage', 'prod', '--endpoint-url', 'http://127.0.0.1:1'], ExitCode.Usage, '--endpoint-url and --stage/--profile: pass one'],
    [['--stage', 'Prod!', '--region', 'us-east-1'], ExitCode.Usage, 'lowercase letters, digits and -'],
    [['--stage', 'prod'], ExitCode.Usage, 'needs a region: pass --region or set AWS_REGION'],
    [['--endpoint-url', 'nope'], ExitCode.Usage, 'a URL such as http://127.0.0.1:4566'],
    [['--history-reads', '0'], ExitCode.Usage, 'Allowed: a number greater than 0'],
  ])('returns %s for %j', async (flags, code, message) => {
    const r = await run(['dashboard', ...flags]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
  });

  it('returns 3 when no local cloud runs here and no target is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-dash-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await run(['dashboard']);
      expect(r.code).toBe(ExitCode.NotFound);
      expect(r.stderr).toContain("start one with 'npx mgn-flow local'");
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the dashboard server on a local cloud', () => {
  let cloud: LocalCloud;
  let arns: string[];
  /** The dashboard's origin (local.json gives the page's URL, ending in /). */
  const base = () => cloud.info.dashboard.replace(/\/$/, '');
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 2, applications: 0 });
    arns = startServers(cloud, { plan: { soakSeconds: 14 * 86400 } });
    await until('both soaking', () => arns.every((a) => cloud.host.openTasks().some((t) => t.executionArn === a && t.stateName === 'Soak')));
  }, 60_000);
  afterAll(async () => {
    await cloud?.close();
  });

  it('serves the page with a strict CSP and answers only to its own address', async () => {
    const page = await get(`${base()}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(page.body).toContain('<script src="/app.js" defer></script>');
    expect(page.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect((await get(`${base()}/`, { host: 'attacker.example' })).status).toBe(421);
    expect((await get(`${base()}/api/board`, {}, 'POST')).status).toBe(405);
    expect((await get(`${base()}/nope`)).status).toBe(404);
  });

  it('returns the board: the servers by wave and application, waiting at the sign-off gate in the soak phase', async () => {
    const b = JSON.parse((await get(`${base()}/api/board`)).body) as { counts: Record<string, number>; waves: { wave: string; applications: { application: string; servers: { serverId: string; phase: string; status: string; gate?: unknown }[] }[] }[] };
    expect(b.counts).toMatchObject({ total: 2, waiting: 2 });
    expect(b.waves).toHaveLength(1);
    expect(b.waves[0]?.applications[0]?.servers.map((s) => [s.serverId, s.phase, s.status, s.gate])).toEqual(
      [...serverIds(cloud)].sort().map((id) => [id, 'soak', 'waiting', { state: 'Soak', gate: 'SIGNOFF', approvers: ['approvers'] }]),
    );
  });

  it('returns an execution’s graph and its states; 400 for a bad ARN, 404 for an unknown one', async () => {
    const g = JSON.parse((await get(`${base()}/api/executions/${encodeURIComponent(arns[0] as string)}/graph`)).body) as { layout: { nodes: unknown[] }; states: { current: string } };
    expect(g.layout.nodes.length).toBeGreaterThan(50);
    expect(g.states.current).toBe('Soak');
    expect((await get(`${base()}/api/executions/nope/states`)).status).toBe(400);
    const missing = (arns[0] as string).replace(/-1$/, '-9');
    expect((await get(`${base()}/api/executions/${encodeURIComponent(missing)}/states`)).status).toBe(404);
  });

  it('returns the outbox from the local SNS outbox, and the open gates as the approvals inbox', async () => {
    const inbox = JSON.parse((await get(`${base()}/api/inbox`)).body) as { available: boolean; items: { title: string; approvers: string[]; deadline: string }[] };
    expect(inbox.available).toBe(true);
    for (const item of inbox.items) expect(item).toMatchObject({ title: expect.stringMatching(/^[A-Z_]+ for /), approvers: expect.any(Array), deadline: expect.any(String) });
    expect(JSON.parse((await get(`${base()}/api/outbox`)).body)).toMatchObject({ available: true });
  });

  it('shows the local cloud’s simulated clock (discrete-event here: it cannot be paced, 409)', async () => {
    const c = JSON.parse((await get(`${base()}/api/clock`)).body) as { nowMs: number; now: string; mode: string; paused: boolean; scale: number };
    expect(c).toMatchObject({ mode: 'discrete', paused: false, scale: 0 });
    expect(c.nowMs).toBe(Date.parse(c.now));
    expect(c.nowMs).toBeLessThanOrEqual(cloud.clock.now());
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(`${base()}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mgn-flow-control': 'clock' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ action: 'pause' }));
    });
    expect(r).toBe(409);
  });

  it('runs from the CLI against the local cloud found in .mgn-flow/local.json, first stdout line its URL, until a signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-dash-'));
    mkdirSync(join(dir, '.mgn-flow'));
    writeFileSync(join(dir, '.mgn-flow', 'local.json'), JSON.stringify(cloud.info));
    const cwd = process.cwd();
    process.chdir(dir);
    let stop!: (s: string) => void;
    const stdout = new TextSink();
    try {
      const running = run(['dashboard'], { stdout, waitForShutdown: () => new Promise<string>((r) => (stop = r)) });
      await until('URL printed', () => stdout.text.includes('\n'));
      const url = stdout.text.split('\n')[0] as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cloud.info.dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const b = JSON.parse((await get(`${url}/api/board`)).body) as { counts: { total: number } };
      expect(b.counts.total).toBe(2);
      stop('SIGTERM');
      expect((await running).code).toBe(ExitCode.Ok);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
