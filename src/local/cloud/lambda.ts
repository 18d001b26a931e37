import { invocationContext } from './iam/index.ts';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LambdaInvoker } from './lambda-types.ts';
import { type ServerlessConfig, functionLogicalId } from './serverless-config.ts';

export type Handler = (event: unknown, context: LambdaContext) => Promise<unknown> | unknown;

export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export interface InvocationRecord {
  functionKey: string;
  requestId: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  errorType?: string;
}

/**
 * The in-process Lambda runtime: the handlers declared in serverless.yml, loaded from their files on first
 * use (a cold start: module-scope code runs once) and invoked with the event and a Lambda context. Names
 * resolve the way the template names them, so ASL files with `Fn::GetAtt` run unchanged.
 */
export class LocalLambda implements LambdaInvoker {
  private readonly loaded = new Map<string, Promise<Handler>>();
  private readonly byLogicalId = new Map<string, string>();
  private readonly byName = new Map<string, string>();
  readonly invocations: InvocationRecord[] = [];

  constructor(
    private readonly config: Pick<ServerlessConfig, 'root' | 'service' | 'stage' | 'region' | 'functions'>,
    private readonly opts: {
      accountId: string;
      overrides?: Record<string, Handler>;
      /** Discrete-event time: a handler's remaining time counts simulated time (it only passes while it waits). */
      simulatedTime?: { now(): number };
    } = { accountId: '111122223333' },
  ) {
    for (const key of this.keys()) {
      this.byLogicalId.set(functionLogicalId(key), key);
      this.byName.set(this.functionName(key), key);
      this.byName.set(key, key);
    }
  }

  keys(): string[] {
    return [...new Set([...Object.keys(this.config.functions), ...Object.keys(this.opts.overrides ?? {})])];
  }

  functionName(key: string): string {
    return `${this.config.service}-${this.config.stage}-${key}`;
  }

  functionArn(key: string): string {
    return `arn:aws:lambda:${this.config.region}:${this.opts.accountId}:function:${this.functionName(key)}`;
  }

  resolve(ref: unknown): string | undefined {
    if (typeof ref === 'string') {
      const arn = /^arn:aws:lambda:[^:]+:\d+:function:([^:]+)(?::.+)?$/.exec(ref);
      const name = arn ? (arn[1] as string) : ref;
      return this.byName.get(name) ?? this.byLogicalId.get(name);
    }
    if (ref && typeof ref === 'object') {
      const o = ref as Record<string, unknown>;
      const getAtt = o['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return this.byLogicalId.get(getAtt[0]);
      if (typeof o.Ref === 'string') return this.byLogicalId.get(o.Ref);
    }
    return undefined;
  }

  private load(key: string): Promise<Handler> {
    const override = this.opts.overrides?.[key];
    if (override) return Promise.resolve(override);
    let p = this.loaded.get(key);
    if (!p) {
      p = (async () => {
        const fn = this.config.functions[key];
        if (!fn) throw new Error(`Function not found: ${key}`);
        const dot = fn.handler.lastIndexOf('.');
        const base = fn.handler.slice(0, dot);
        const exportName = fn.handler.slice(dot + 1);
        const file = ['.ts', '.mts', '.js', '.mjs'].map((ext) => resolve(this.config.root, base + ext)).find((f) => existsSync(f));
        if (!file) throw new Error(`Handler file for ${key} not found: ${base}.ts`);
        const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
        const handler = mod[exportName];
        if (typeof handler !== 'function') throw new Error(`${file} does not export a function named ${exportName}`);
        return handler as Handler;
      })();
      this.loaded.set(key, p);
    }
    return p;
  }

  private closed = false;

  /**
   * Load every handler now (each module's cold start), so no invocation later waits on file I/O: with the
   * discrete-event clock, a module load racing other work would make the order of events depend on the disk.
   */
  async preload(): Promise<void> {
    for (const key of this.keys()) await this.load(key);
  }

  /** The local cloud is closing: no handler starts any more (a late invocation fails instead of touching closed services). */
  shutdown(): void {
    this.closed = true;
  }

  async invoke(key: string, event: unknown): Promise<unknown> {
    if (this.closed) throw Object.assign(new Error(`the local cloud is closed: ${key} not invoked`), { name: 'LocalCloudClosed' });
    const handler = await this.load(key);
    const fn = this.config.functions[key];
    const timeoutMs = (fn?.timeout ?? 30) * 1000;
    const start = Date.now();
    const sim = this.opts.simulatedTime;
    const elapsed = sim ? () => sim.now() - start : () => performance.now() - t0;
    const t0 = performance.now();
    const requestId = randomUUID();
    const context: LambdaContext = {
      functionName: this.functionName(key),
      functionVersion: '$LATEST',
      invokedFunctionArn: this.functionArn(key),
      memoryLimitInMB: String(fn?.memorySize ?? 256),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${this.functionName(key)}`,
      logStreamName: `local/${requestId}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, timeoutMs - elapsed()),
    };
    // the event crosses a JSON boundary on AWS: handlers never share objects with their caller
    const payload = event === undefined ? undefined : (JSON.parse(JSON.stringify(event)) as unknown);
    try {
      // the function's role decides what its AWS calls may do (src/local/cloud/iam)
      const result = await invocationContext.run({ functionKey: key }, () => handler(payload, context));
      this.record({ functionKey: key, requestId, startedAt: start, durationMs: performance.now() - t0, ok: true });
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
    } catch (err) {
      const e = err as Error;
      this.record({ functionKey: key, requestId, startedAt: start, durationMs: performance.now() - t0, ok: false, errorType: e.name });
      throw err;
    }
  }

  private record(r: InvocationRecord): void {
    this.invocations.push(r);
    if (this.invocations.length > 200_000) this.invocations.splice(0, 50_000);
  }
}
