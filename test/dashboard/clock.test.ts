import { request } from 'node:http';
import { MgnClient } from '@aws-sdk/client-mgn';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ClockState, type DashboardClock, type RunningDashboard, startDashboard } from '../../src/dashboard/server.ts';
import { VirtualClock } from '../../src/local/emulator/clock.ts';

interface Reply {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** A request with headers of our choosing (fetch sets its own Host and Origin). */
function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const CONTROL = { 'content-type': 'application/json', 'x-mgn-flow-control': 'clock' };
const START = Date.UTC(2026, 0, 5, 8);

describe('the dashboard’s simulated clock (GET/POST /api/clock)', () => {
  const clients = { sfn: new SFNClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), mgn: new MgnClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }) };
  const running: RunningDashboard[] = [];
  const clocks: VirtualClock[] = [];
  afterEach(async () => {
    while (running.length) await running.pop()?.close();
    while (clocks.length) clocks.pop()?.stop();
  });
  afterAll(() => {
    clients.sfn.destroy();
    clients.mgn.destroy();
  });

  async function dashboard(clock?: DashboardClock): Promise<{ url: string; control: (action: unknown, headers?: Record<string, string>) => Promise<Reply> }> {
    const d = await startDashboard({ clients, stateMachineArns: [], ...(clock ? { clock } : {}) });
    running.push(d);
    const control = (action: unknown, headers: Record<string, string> = CONTROL) => send(`${d.url}/api/clock`, { method: 'POST', headers, body: JSON.stringify({ action }) });
    return { url: d.url, control };
  }

  function scaledClock(): VirtualClock {
    const clock = new VirtualClock({ start: START, scale: 600, mode: 'scaled' });
    clock.start();
    clocks.push(clock);
    return clock;
  }

  it('reads the clock, and pauses, resumes, speeds up and slows down a scaled one', async () => {
    const clock = scaledClock();
    const { url, control } = await dashboard(clock);
    const got = await send(`${url}/api/clock`);
    expect(got.status).toBe(200);
    expect(got.headers['content-security-policy']).toContain("default-src 'none'");
    expect(got.headers['cache-control']).toBe('no-store');
    const state = JSON.parse(got.body) as ClockState;
    expect(state).toMatchObject({ mode: 'scaled', paused: false, scale: 600 });
    expect(state.nowMs).toBeGreaterThanOrEqual(START);
    expect(state.now).toBe(new Date(state.nowMs).toISOString());

    const paused = await control('pause');
    expect(paused.status).toBe(200);
    const p = JSON.parse(paused.body) as ClockState;
    expect(p).toMatchObject({ mode: 'scaled', paused: true, scale: 600 });
    expect(clock.isPaused).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect((JSON.parse((await send(`${url}/api/clock`)).body) as ClockState).nowMs).toBe(p.nowMs);

    expect(JSON.parse((await control('faster')).body)).toMatchObject({ paused: true, scale: 1200 });
    expect(JSON.parse((await control('slower')).body)).toMatchObject({ scale: 600 });
    const resumed = JSON.parse((await control('resume')).body) as ClockState;
    expect(resumed).toMatchObject({ paused: false, scale: 600 });
    expect(clock.isPaused).toBe(false);
    expect(clock.scale).toBe(600);

    // slower stops at real time, faster at 1e6
    for (let i = 0; i < 12; i++) await control('slower');
    expect(clock.configuredScale).toBe(1);
    for (let i = 0; i < 25; i++) await control('faster');
    expect(clock.configuredScale).toBe(1e6);
    // the page's own origin is accepted
    expect((await control('slower', { ...CONTROL, origin: url })).status).toBe(200);
    expect(clock.configuredScale).toBe(5e5);
  });

  it('refuses a control without the JSON content type and the control header, or from another origin (403), an unknown action (400)', async () => {
    const clock = scaledClock();
    const { url, control } = await dashboard(clock);
    // what a cross-site form could send
    const form = await send(`${url}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=pause' });
    expect(form.status).toBe(403);
    expect(JSON.parse(form.body)).toMatchObject({ error: 'Forbidden' });
    expect(form.headers['x-frame-options']).toBe('DENY');
    expect((await control('pause', { 'content-type': 'application/json' })).status).toBe(403);
    expect((await control('pause', { 'content-type': 'text/plain', 'x-mgn-flow-control': 'clock' })).status).toBe(403);
    expect((await control('pause', { ...CONTROL, 'x-mgn-flow-control': 'yes' })).status).toBe(403);
    expect((await control('pause', { ...CONTROL, origin: 'http://attacker.example' })).status).toBe(403);
    expect((await control('pause', { ...CONTROL, host: 'attacker.example' })).status).toBe(421);
    expect(clock.isPaused).toBe(false);

    for (const action of ['stop', 'PAUSE', 7, null]) {
      const r = await control(action);
      expect(r.status, JSON.stringify(action)).toBe(400);
      expect((JSON.parse(r.body) as { message: string }).message).toContain('allowed: pause, resume, faster, slower');
    }
    expect((await send(`${url}/api/clock`, { method: 'POST', headers: CONTROL, body: '{not json' })).status).toBe(400);
    expect((await send(`${url}/api/clock`, { method: 'POST', headers: CONTROL, body: JSON.stringify({ action: 'x'.repeat(5000) }) })).status).toBe(413);
    expect(clock.isPaused).toBe(false);
    expect(clock.configuredScale).toBe(600);

    // the rest of the dashboard still only reads
    expect((await send(`${url}/api/board`, { method: 'POST', headers: CONTROL, body: '{}' })).status).toBe(405);
    expect((await send(`${url}/`, { method: 'POST', headers: CONTROL, body: '{}' })).status).toBe(405);
    const put = await send(`${url}/api/clock`, { method: 'PUT', headers: CONTROL, body: '{"action":"pause"}' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
  });

  it('answers 409 for pause, faster or slower on a clock that is not wall-scaled', async () => {
    for (const mode of ['discrete', 'manual'] as const) {
      const clock = new VirtualClock({ start: START, scale: 1, mode });
      const { url, control } = await dashboard(clock);
      expect(JSON.parse((await send(`${url}/api/clock`)).body)).toEqual({ nowMs: START, now: '2026-01-05T08:00:00.000Z', mode, paused: false, scale: 0 });
      for (const action of ['pause', 'faster', 'slower']) {
        const r = await control(action);
        expect(r.status, `${mode} ${action}`).toBe(409);
        expect((JSON.parse(r.body) as { message: string }).message).toMatch(new RegExp(`^the clock is ${mode}: .*only a wall-scaled clock can be paused or re-paced$`));
      }
      // nothing to resume: it answers the state
      expect(JSON.parse((await control('resume')).body)).toMatchObject({ mode, paused: false });
      expect(clock.configuredScale).toBe(1);
    }
  });

  it('has no /api/clock without a clock (a dashboard on AWS)', async () => {
    const { url, control } = await dashboard();
    expect((await send(`${url}/api/clock`)).status).toBe(404);
    expect((await control('pause')).status).toBe(404);
  });
});
