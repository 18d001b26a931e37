import { describe, expect, it } from 'vitest';
import { control, useEmulator } from '../../helpers/emulator.ts';

interface ClockState {
  now: string;
  nowMs: number;
  timeScale: number;
  manual: boolean;
  pending: number;
  mode: string;
  paused: boolean;
  configuredScale: number;
}

const START = Date.UTC(2026, 0, 5, 8);

describe('POST /_emulator/clock', () => {
  const start = useEmulator();

  it('pauses and resumes a wall-scaled clock; a paused clock stands still and still advances on request', async () => {
    const { emu } = await start({ manualClock: false, clockMode: 'scaled', timeScale: 600, startTime: START });
    const initial = await control<ClockState>(emu.endpoint, '/clock');
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ mode: 'scaled', paused: false, configuredScale: 600, timeScale: 600, manual: false });
    expect(initial.body.nowMs).toBeGreaterThanOrEqual(START);
    expect(initial.body.now).toBe(new Date(initial.body.nowMs).toISOString());

    const paused = await control<ClockState>(emu.endpoint, '/clock', { paused: true });
    expect(paused.status).toBe(200);
    // paused: the pace reads 0 (what `mgn-flow` commands extrapolate with), the configured pace is kept
    expect(paused.body).toMatchObject({ mode: 'scaled', paused: true, timeScale: 0, configuredScale: 600 });
    await new Promise((r) => setTimeout(r, 30));
    expect((await control<ClockState>(emu.endpoint, '/clock')).body.nowMs).toBe(paused.body.nowMs);

    const advanced = await control<ClockState>(emu.endpoint, '/clock', { advanceSeconds: 60 });
    expect(advanced.body.nowMs).toBe(paused.body.nowMs + 60_000);
    expect(advanced.body.paused).toBe(true);

    // a new pace while paused: it stays paused with that pace
    const faster = await control<ClockState>(emu.endpoint, '/clock', { timeScale: 1200 });
    expect(faster.body).toMatchObject({ paused: true, timeScale: 0, configuredScale: 1200 });

    const resumed = await control<ClockState>(emu.endpoint, '/clock', { paused: false });
    expect(resumed.body).toMatchObject({ paused: false, timeScale: 1200, configuredScale: 1200 });
    expect(resumed.body.nowMs).toBeGreaterThanOrEqual(advanced.body.nowMs);
    await new Promise((r) => setTimeout(r, 30));
    expect((await control<ClockState>(emu.endpoint, '/clock')).body.nowMs).toBeGreaterThan(resumed.body.nowMs);
  });

  it('answers 400 for a paused that is not a boolean, and for a pace on a manual or discrete clock, saying why', async () => {
    const scaled = await start({ manualClock: false, clockMode: 'scaled', timeScale: 60 });
    for (const paused of ['true', 1, null]) {
      const r = await control<{ message: string }>(scaled.emu.endpoint, '/clock', { paused });
      expect(r.status, JSON.stringify(paused)).toBe(400);
      expect(r.body.message).toBe('paused must be true or false');
    }
    expect((await control<ClockState>(scaled.emu.endpoint, '/clock')).body.paused).toBe(false);

    const manual = await start();
    expect((await control<ClockState>(manual.emu.endpoint, '/clock')).body).toMatchObject({ mode: 'manual', paused: false, manual: true, timeScale: 0 });
    const m1 = await control<{ message: string }>(manual.emu.endpoint, '/clock', { paused: true });
    expect(m1.status).toBe(400);
    expect(m1.body.message).toMatch(/^paused applies to a wall-scaled clock only; this clock is manual: time moves only when advanced/);
    const m2 = await control<{ message: string }>(manual.emu.endpoint, '/clock', { timeScale: 10 });
    expect(m2.status).toBe(400);
    expect(m2.body.message).toMatch(/^timeScale applies to a wall-scaled clock only; this clock is manual/);

    const discrete = await start({ clockMode: 'discrete', startClock: false });
    expect((await control<ClockState>(discrete.emu.endpoint, '/clock')).body).toMatchObject({ mode: 'discrete', paused: false, timeScale: 0 });
    const d1 = await control<{ message: string }>(discrete.emu.endpoint, '/clock', { paused: false });
    expect(d1.status).toBe(400);
    expect(d1.body.message).toMatch(/this clock is discrete-event: time stands still while work is in flight and jumps whenever the cloud is idle/);
    const d2 = await control<{ message: string }>(discrete.emu.endpoint, '/clock', { timeScale: 10 });
    expect(d2.status).toBe(400);
    expect(d2.body.message).toMatch(/^timeScale applies to a wall-scaled clock only; this clock is discrete-event/);
    // advancing is still allowed on both
    expect((await control<ClockState>(manual.emu.endpoint, '/clock', { advanceSeconds: 5 })).status).toBe(200);
  });
});
