import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import inject from 'light-my-request';
import type { VirtualClock } from '../emulator/clock.ts';

/**
 * The AWS SDK's wire, without the socket. Inside the local cloud's process, a request an SDK client sends to
 * a local stand-in's endpoint is handed to that stand-in's HTTP request listener in process (light-my-request
 * builds the request and response objects): the client serializes exactly as it would for AWS, the stand-in
 * parses and answers exactly as it does over HTTP, and the client parses that answer. What is skipped is
 * the TCP connection, the kernel and the HTTP parser: about half the CPU of a Lambda invocation on the local
 * cloud, and the only source of ordering noise between concurrent handlers. Requests to any other host
 * (and every request from another process, the CLI or a browser) go over HTTP as before.
 *
 * Every request is work in flight on the clock from the moment the client hands it over until the response
 * is complete, so the discrete-event clock never jumps while a stand-in is answering.
 */

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

interface SmithyRequest {
  method: string;
  protocol?: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

interface HandlerProto {
  handle(this: unknown, request: SmithyRequest, opts?: { abortSignal?: AbortSignal }): Promise<{ response: unknown }>;
}

/** The SDK clients the product and the local cloud use; each may carry its own copy of the HTTP handler. */
const CLIENT_PACKAGES = [
  '@aws-sdk/client-mgn',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-scheduler',
  '@aws-sdk/client-service-quotas',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sts',
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-iam',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-ec2',
];

const routes = new Map<string, { server: Server; clock: VirtualClock }>();
const originals = new Map<HandlerProto, HandlerProto['handle']>();
let stats = { inProcess: 0, overHttp: 0 };
/** In-process requests per operation (`X-Amz-Target`'s operation, or the REST path), for the bench's figures. */
let byOperation = new Map<string, number>();

function handlerPrototypes(): HandlerProto[] {
  const require = createRequire(import.meta.url);
  const seen = new Set<string>();
  const protos: HandlerProto[] = [];
  const add = (from: NodeJS.Require) => {
    let path: string;
    try {
      path = from.resolve('@smithy/node-http-handler');
    } catch {
      return;
    }
    if (seen.has(path)) return;
    seen.add(path);
    const mod = from(path) as { NodeHttpHandler?: { prototype: HandlerProto } };
    if (mod.NodeHttpHandler) protos.push(mod.NodeHttpHandler.prototype);
  };
  add(require);
  for (const pkg of CLIENT_PACKAGES) {
    let manifest: string;
    try {
      manifest = require.resolve(`${pkg}/package.json`);
    } catch {
      continue;
    }
    add(createRequire(manifest));
  }
  return protos;
}

function queryString(query: SmithyRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const v = query[key];
    const k = encodeURIComponent(key);
    if (v === null || v === undefined) parts.push(k);
    else if (Array.isArray(v)) for (const x of v) parts.push(`${k}=${encodeURIComponent(x)}`);
    else parts.push(`${k}=${encodeURIComponent(v)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function bodyOf(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new Error('in-process transport: streaming request bodies are not supported by the local stand-ins');
}

/** A response's headers as one string each (repeated ones joined), as the SDK and fetch callers read them. */
function flatHeaders(raw: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return headers;
}

/** Asked before a request reaches its stand-in: a response refuses it (the local IAM: src/local/cloud/iam). */
export type RequestGuard = (request: SmithyRequest) => { statusCode: number; headers: Record<string, string>; body: Uint8Array } | undefined;
let guard: RequestGuard | undefined;
/** Install the guard; returns the undo. */
export function setRequestGuard(g: RequestGuard): () => void {
  guard = g;
  return () => {
    if (guard === g) guard = undefined;
  };
}

async function dispatch(route: { server: Server; clock: VirtualClock }, request: SmithyRequest): Promise<{ response: unknown }> {
  const refused = guard?.(request);
  if (refused) return { response: { statusCode: refused.statusCode, reason: 'Forbidden', headers: refused.headers, body: refused.body } };
  // held from the hand-over until the server's listeners take the request (they track it themselves, and may
  // release it while it waits on simulated time); the response returns through nextTicks and microtasks
  const end = route.clock.begin();
  const listener: Listener = (req, res) => {
    end();
    route.server.emit('request', req, res);
  };
  try {
    const payload = bodyOf(request.body);
    const res = await inject(listener as never, {
      method: request.method as 'POST',
      url: `${request.path}${queryString(request.query)}`,
      headers: request.headers,
      ...(payload !== undefined ? { payload } : {}),
      remoteAddress: '127.0.0.1',
    });
    const headers = flatHeaders(res.headers);
    stats.inProcess++;
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
    const op = target ? target.split('.').pop() ?? target : `${request.method} ${request.path.split('/').slice(0, 2).join('/')}`;
    byOperation.set(op, (byOperation.get(op) ?? 0) + 1);
    // the shape of @smithy/protocol-http's HttpResponse. The body is the answer's bytes as one Uint8Array,
    // which the SDK's body collector takes as it is (a stream would be collected chunk by chunk into the
    // same bytes): the same answer to parse, without a stream per request
    return { response: { statusCode: res.statusCode, reason: res.statusMessage, headers, body: res.rawPayload } };
  } finally {
    end();
  }
}

/**
 * Serve requests to `endpoint` (http://127.0.0.1:<port>) in process with `server`'s request listener.
 * Returns the undo. The first registration patches the SDK's HTTP handler; the last undo restores it.
 */
export function serveInProcess(endpoint: string, server: Server, clock: VirtualClock): () => void {
  if (server.listenerCount('request') === 0) throw new Error(`in-process transport: the server behind ${endpoint} has no request listener`);
  const key = new URL(endpoint).host;
  routes.set(key, { server, clock });
  if (originals.size === 0) {
    for (const proto of handlerPrototypes()) {
      const original = proto.handle;
      originals.set(proto, original);
      proto.handle = function (this: unknown, request: SmithyRequest, opts?: { abortSignal?: AbortSignal }) {
        const route = routes.get(request.port ? `${request.hostname}:${request.port}` : request.hostname);
        if (!route) {
          stats.overHttp++;
          return original.call(this, request, opts);
        }
        return dispatch(route, request);
      };
    }
  }
  return () => {
    if (routes.get(key)?.server !== server) return;
    routes.delete(key);
    if (routes.size === 0) {
      for (const [proto, original] of originals) proto.handle = original;
      originals.clear();
    }
  };
}

/** How many SDK requests went in process and over HTTP (bench figures); `reset` starts over. */
export function transportStats(reset = false): { inProcess: number; overHttp: number; byOperation: Record<string, number> } {
  const s = { ...stats, byOperation: Object.fromEntries([...byOperation].sort((a, b) => b[1] - a[1])) };
  if (reset) {
    stats = { inProcess: 0, overHttp: 0 };
    byOperation = new Map();
  }
  return s;
}

/**
 * Count a server's requests as work in flight on the clock, whichever way they arrive (in process or over
 * a socket from another process), from the request until the response is finished. Only for servers that
 * answer without waiting on simulated time (the stand-ins; not the HTTP API, whose Lambda may back off).
 */
export function trackRequests(server: Server, clock: VirtualClock): void {
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    const end = clock.begin();
    res.once('finish', end);
    res.once('close', end);
  });
}

export interface FetchLike {
  (url: string | URL, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string>; text(): Promise<string>; json(): Promise<unknown> }>;
}

/**
 * A `fetch` for the local cloud's own endpoints (the HTTP API's approval pages, `/_outbox`): in process,
 * held as work on the clock until the server takes the request, so an actor of a test or a rehearsal (an
 * approver) is part of simulated time. Other URLs go to the real fetch.
 */
export function inProcessFetch(): FetchLike {
  return async (url, init = {}) => {
    const u = new URL(url);
    const route = routes.get(u.host);
    if (!route) {
      const r = await fetch(u, init);
      const body = await r.text();
      return { status: r.status, headers: Object.fromEntries(r.headers), text: async () => body, json: async () => JSON.parse(body) as unknown };
    }
    const end = route.clock.begin();
    const listener: Listener = (req, res) => {
      end();
      route.server.emit('request', req, res);
    };
    try {
      const res = await inject(listener as never, {
        method: (init.method ?? 'GET') as 'GET',
        url: `${u.pathname}${u.search}`,
        headers: { host: u.host, ...init.headers },
        ...(init.body !== undefined ? { payload: init.body } : {}),
        remoteAddress: '127.0.0.1',
      });
      const headers = flatHeaders(res.headers);
      return { status: res.statusCode, headers, text: async () => res.payload, json: async () => JSON.parse(res.payload) as unknown };
    } finally {
      end();
    }
  };
}

/**
 * Read the shared AWS config and credentials files once per copy of the SDK's config loader, now. Each
 * loader caches what it read (a missing file too), so no SDK client of a handler touches the disk later:
 * with the discrete-event clock, a file read racing other work would let the disk's speed order events.
 */
export async function warmSdkConfig(): Promise<void> {
  const require = createRequire(import.meta.url);
  const loaders = new Set<(init?: object) => Promise<unknown>>();
  const add = (from: NodeJS.Require, id: string) => {
    try {
      const mod = from(id) as { loadSharedConfigFiles?: (init?: object) => Promise<unknown> };
      if (mod.loadSharedConfigFiles) loaders.add(mod.loadSharedConfigFiles);
    } catch {
      // this copy of the SDK has no such module
    }
  };
  for (const pkg of ['', ...CLIENT_PACKAGES]) {
    let from: NodeJS.Require = require;
    if (pkg) {
      try {
        from = createRequire(require.resolve(`${pkg}/package.json`));
      } catch {
        continue;
      }
    }
    add(from, '@smithy/shared-ini-file-loader');
    add(from, '@smithy/core/config');
  }
  await Promise.all([...loaders].map((load) => load().catch(() => undefined)));
}

/**
 * Answer with the simulated time in the `Date` header. Node writes the host's wall time there by default;
 * the SDK compares it with its own (simulated) clock, sees months of skew on every error response, marks the
 * error clock-skew-corrected and retries it, and shifts its signing clock. AWS's `Date` is AWS's time, which
 * is the time the handlers live in: here, the simulated one.
 */
export function simulatedDateHeader(server: Server, clock: { now(): number }): void {
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.sendDate = false;
    res.setHeader('date', new Date(clock.now()).toUTCString());
  });
}
