import { FaultsSchema, parseFaultsArg, parseQuotaArgs, QUOTAS, UsageError } from './config.ts';
import { MgnEngine } from './engine.ts';
import { EmulatorHttp } from './http.ts';
import type { EmulatorOptions, RunningEmulator } from './types.ts';

export type { EmulatorOptions, RunningEmulator, MgnEvent, EmulatorClock } from './types.ts';
export { parseFaultsArg, parseQuotaArgs, QUOTAS, UsageError };
export { LIFECYCLE_TABLE } from './lifecycle.ts';
export { MgnEngine };

/**
 * Start the MGN emulator on 127.0.0.1. The returned endpoint is what `@aws-sdk/client-mgn` takes as
 * `endpoint`; control routes live under `<endpoint>/_emulator/`.
 */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator & { engine: MgnEngine; http: EmulatorHttp }> {
  if (opts.timeScale !== undefined && !(opts.timeScale > 0 && opts.timeScale <= 1e6)) throw new UsageError('timeScale must be above 0 and at most 1e6');
  const engine = new MgnEngine(opts);
  const http = new EmulatorHttp(engine);
  const port = await http.listen(opts.port ?? 0);
  if (opts.startClock !== false) engine.clock.start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    region: engine.region,
    accountId: engine.accountId,
    clock: engine.clock,
    quotas: engine.quotas,
    engine,
    http,
    onEvent: (listener) => engine.events.subscribe(listener),
    setFaults: (faults) => {
      engine.faults = FaultsSchema.parse({ ...engine.faults, ...faults });
    },
    close: async () => {
      engine.clock.stop();
      await http.close();
    },
  };
}
