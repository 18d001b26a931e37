import { MgnClient, type SourceServer, DescribeSourceServersCommand } from '@aws-sdk/client-mgn';
import { afterEach } from 'vitest';
import { startEmulator, type EmulatorOptions, type MgnEvent } from '../../src/local/emulator/index.ts';

export type TestEmulator = Awaited<ReturnType<typeof startEmulator>>;

/** The real pinned SDK client pointed at an emulator. */
export function mgnClient(endpoint: string, opts: { maxAttempts?: number } = {}): MgnClient {
  return new MgnClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: opts.maxAttempts ?? 3,
  });
}

/**
 * Start an emulator for one test (manual clock by default) and close it afterwards. Returns the emulator,
 * an SDK client and the list of events it delivered (after faults).
 */
export function useEmulator() {
  const running: { emu: TestEmulator; mgn: MgnClient }[] = [];
  afterEach(async () => {
    while (running.length) {
      const r = running.pop();
      r?.mgn.destroy();
      await r?.emu.close();
    }
  });
  return async (opts: EmulatorOptions = {}, clientOpts: { maxAttempts?: number } = {}) => {
    const emu = await startEmulator({ manualClock: true, servers: 3, seed: 42, ...opts });
    const mgn = mgnClient(emu.endpoint, clientOpts);
    const events: MgnEvent[] = [];
    emu.onEvent((e) => events.push(e));
    running.push({ emu, mgn });
    const all = async (): Promise<SourceServer[]> => (await mgn.send(new DescribeSourceServersCommand({}))).items ?? [];
    /** Advance the manual clock and let event listeners run. */
    const advance = async (seconds: number) => {
      emu.clock.advance(seconds);
      await emu.engine.events.drain();
    };
    return { emu, mgn, events, all, advance, ids: async () => (await all()).map((s) => s.sourceServerID as string) };
  };
}

/** Control-route helper. */
export async function control<T = unknown>(endpoint: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${endpoint}/_emulator${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export const HOURS = 3600;
