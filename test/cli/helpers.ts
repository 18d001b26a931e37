import type { LocalCloudInfo, LocalCloudOptions } from '../../src/local/cloud/index.ts';
import type { CliIo, DemoRunOptions } from '../../src/cli/context.ts';
import { main } from '../../src/cli/main.ts';
import type { EmulatorOptions, RunningEmulator } from '../../src/local/emulator/types.ts';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export class TextSink {
  text = '';
  constructor(readonly isTTY = false) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

/** Runs main() in-process with string buffers and, unless given, loaders that fail the test if used. */
export async function run(argv: string[], io: Partial<CliIo> = {}): Promise<Captured> {
  const stdout = (io.stdout as TextSink | undefined) ?? new TextSink();
  const stderr = (io.stderr as TextSink | undefined) ?? new TextSink();
  const code = await main(argv, {
    env: {},
    waitForShutdown: () => Promise.resolve('SIGTERM'),
    load: {
      emulator: () => Promise.reject(new Error('test did not expect the emulator to start')),
      demo: () => Promise.reject(new Error('test did not expect the demo to run')),
      cloud: () => Promise.reject(new Error('test did not expect the local cloud to start')),
    },
    ...io,
    stdout,
    stderr,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A stand-in emulator recording how it was started and whether it was closed. */
export function fakeEmulator(port = 43210) {
  const calls: { started?: EmulatorOptions; closed: boolean } = { closed: false };
  const load: CliIo['load'] = {
    emulator: () =>
      Promise.resolve({
        startEmulator: (opts: EmulatorOptions) => {
          calls.started = opts;
          return Promise.resolve({
            endpoint: `http://127.0.0.1:${port}`,
            port,
            close: () => {
              calls.closed = true;
              return Promise.resolve();
            },
          } as RunningEmulator);
        },
      }),
    demo: () => Promise.reject(new Error('unexpected')),
    cloud: () => Promise.reject(new Error('unexpected')),
  };
  return { calls, load };
}

/** A stand-in runDemo recording its options and returning `result` (or throwing it). */
export function fakeDemo(result: number | Error = 0) {
  const calls: { options?: DemoRunOptions } = {};
  const load: CliIo['load'] = {
    emulator: () => Promise.reject(new Error('unexpected')),
    demo: () =>
      Promise.resolve({
        runDemo: (options: DemoRunOptions) => {
          calls.options = options;
          return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
        },
      }),
    cloud: () => Promise.reject(new Error('unexpected')),
  };
  return { calls, load };
}

/** A stand-in local cloud recording how it was started and whether it was closed. */
export function fakeCloud() {
  const calls: { started?: LocalCloudOptions; closed: boolean } = { closed: false };
  const info: LocalCloudInfo = {
    endpoints: { mgn: 'http://127.0.0.1:1', sfn: 'http://127.0.0.1:2', eventbridge: 'http://127.0.0.1:2', scheduler: 'http://127.0.0.1:2', sns: 'http://127.0.0.1:2', dynamodb: 'http://127.0.0.1:3', servicequotas: 'http://127.0.0.1:2', secretsmanager: 'http://127.0.0.1:2', cloudformation: 'http://127.0.0.1:2', sts: 'http://127.0.0.1:2', iam: 'http://127.0.0.1:2', cloudwatch: 'http://127.0.0.1:2', api: 'http://127.0.0.1:4' },
    dashboard: 'http://127.0.0.1:4/_local',
    region: 'us-east-1',
    accountId: '111122223333',
    stage: 'dev',
    timeScale: 60,
    stateMachines: {},
    config: {},
    startedAt: '2026-01-01T00:00:00.000Z',
  };
  const load: CliIo['load'] = {
    emulator: () => Promise.reject(new Error('unexpected')),
    demo: () => Promise.reject(new Error('unexpected')),
    cloud: () =>
      Promise.resolve({
        startLocalCloud: (opts: LocalCloudOptions) => {
          calls.started = opts;
          return Promise.resolve({
            info,
            clock: { now: () => Date.UTC(2026, 0, 5, 8) },
            close: () => {
              calls.closed = true;
              return Promise.resolve();
            },
          });
        },
      }),
  };
  return { calls, load, info };
}
