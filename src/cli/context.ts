import type { DemoOptions } from '../local/demo.ts';
import type { EmulatorOptions, RunningEmulator } from '../local/emulator/types.ts';
import type { LocalCloudInfo, LocalCloudOptions } from '../local/cloud/index.ts';
import { ExitCode } from './exit-codes.ts';
import type { Env, Writer } from './output.ts';

/** What `mgn-flow demo` hands to runDemo() once its flags are valid. */
export type DemoRunOptions = Omit<DemoOptions, 'out'>;

/**
 * The heavy modules a command runs, loaded only when that command runs (so `--help` and flag errors stay
 * fast and never depend on them). Tests replace them with fakes.
 */
export interface Loaders {
  emulator(): Promise<{ startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> }>;
  demo(): Promise<{ runDemo(opts: DemoRunOptions): Promise<number> }>;
  cloud(): Promise<{ startLocalCloud(opts: LocalCloudOptions): Promise<{ info: LocalCloudInfo; clock?: { now(): number }; close(): Promise<void> }> }>;
}

export interface CliIo {
  stdout: Writer;
  stderr: Writer;
  env: Env;
  /** Resolves with the signal name on SIGINT or SIGTERM; long-running commands wait on it. */
  waitForShutdown(): Promise<string>;
  load: Loaders;
}

export interface CliContext extends CliIo {
  /** The global `--json` flag; set before any command's handler runs. */
  json: boolean;
  /** What main() returns once the handler has finished. */
  exitCode: number;
}

const defaultLoaders: Loaders = {
  emulator: () => import('../local/emulator/index.ts'),
  demo: () => import('../local/demo.ts'),
  cloud: () => import('../local/cloud/index.ts'),
};

function waitForSignal(): Promise<string> {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, onSignal);
      resolve(signal);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}

export function createContext(io: Partial<CliIo> = {}): CliContext {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    waitForShutdown: io.waitForShutdown ?? waitForSignal,
    load: io.load ?? defaultLoaders,
    json: false,
    exitCode: ExitCode.Ok,
  };
}

/** Wraps a command handler so the exit code it returns reaches main(). */
export function handler<A extends unknown[]>(
  ctx: CliContext,
  fn: (...args: A) => Promise<number> | number,
): (...args: A) => Promise<void> {
  return async (...args) => {
    ctx.exitCode = await fn(...args);
  };
}
