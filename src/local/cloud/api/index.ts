import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaInvoker } from '../lambda-types.ts';
import type { LocalRequest } from '../protocol.ts';

/**
 * API Gateway HTTP API (v2) stand-in: a local HTTP server that hands each routed request to its Lambda
 * handler as the payload format 2.0 event, and maps the handler's result back as API Gateway does
 * (including the inferred 200 JSON response for a result without statusCode, 404 and 500 bodies).
 */

export interface ApiRoute {
  /** GET, POST, ... or ANY. */
  method: string;
  /** `/approvals/{id}`, `/files/{proxy+}`; or `$default` for the catch-all route. */
  path: string;
  functionKey: string;
}

/** A route served by the local cloud itself (e.g. `GET /_outbox`), not by a Lambda handler. */
export interface ExtraRoute {
  method: string;
  path: string;
  handle(req: LocalRequest & { pathParameters: Record<string, string> }, res: ServerResponse): Promise<void> | void;
}

export interface ApiOptions {
  routes: ApiRoute[];
  lambda: LambdaInvoker;
  extraRoutes?: ExtraRoute[];
  port?: number;
  /** Simulated time for `requestContext.time`/`timeEpoch` (the local cloud's clock). Default: wall clock. */
  clock?: { now(): number; /** work in flight (the discrete-event clock) */ begin?(): () => void };
  accountId?: string;
  apiId?: string;
  stageVariables?: Record<string, string>;
}

export interface LocalApi {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  server: Server;
  close(): Promise<void>;
}

/** The event API Gateway sends with payload format 2.0. */
export interface HttpApiEventV2 {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: string;
    time: string;
    timeEpoch: number;
  };
  body?: string;
  pathParameters?: Record<string, string>;
  isBase64Encoded: boolean;
  stageVariables?: Record<string, string>;
}

interface CompiledRoute<T> {
  method: string;
  routeKey: string;
  pattern: RegExp;
  params: string[];
  /** Higher wins: literal segments, then parameters, then greedy, then $default. */
  rank: number[];
  target: T;
}

/**
 * Request bodies API Gateway passes as text; every other content type (including none, and form posts)
 * arrives base64-encoded with isBase64Encoded true, as observed on HTTP APIs.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type.startsWith('text/') || ['application/json', 'application/xml', 'application/javascript'].includes(type);
}

function compile<T>(method: string, path: string, target: T): CompiledRoute<T> {
  const m = method.toUpperCase();
  if (path === '$default') return { method: 'ANY', routeKey: '$default', pattern: /^.*$/, params: [], rank: [-1], target };
  const params: string[] = [];
  const segments = path.split('/').filter(Boolean);
  const rank: number[] = [];
  const source = segments
    .map((seg, i) => {
      const greedy = /^\{([A-Za-z0-9_]+)\+\}$/.exec(seg);
      if (greedy && i === segments.length - 1) {
        params.push(greedy[1] as string);
        rank.push(0);
        return '/(.+)';
      }
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(seg);
      if (param) {
        params.push(param[1] as string);
        rank.push(1);
        return '/([^/]+)';
      }
      rank.push(2);
      return `/${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    })
    .join('');
  return { method: m, routeKey: `${m} ${path}`, pattern: new RegExp(`^${source || '/'}$`), params, rank: [...rank, m === 'ANY' ? 0 : 1], target };
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -2) - (b[i] ?? -2);
    if (d !== 0) return d;
  }
  return 0;
}

function findRoute<T>(routes: CompiledRoute<T>[], method: string, path: string): { route: CompiledRoute<T>; pathParameters: Record<string, string> } | undefined {
  let best: { route: CompiledRoute<T>; pathParameters: Record<string, string> } | undefined;
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (best && compareRank(route.rank, best.route.rank) <= 0) continue;
    const pathParameters: Record<string, string> = {};
    route.params.forEach((name, i) => {
      const raw = m[i + 1] as string;
      try {
        pathParameters[name] = decodeURIComponent(raw);
      } catch {
        pathParameters[name] = raw;
      }
    });
    best = { route, pathParameters };
  }
  return best;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `12/Mar/2020:19:03:58 +0000` */
export function apiGatewayTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'apigw-requestid': requestId });
  res.end(text);
}

/**
 * The largest request payload an HTTP API takes: 10 MB, not adjustable (API Gateway quotas for HTTP APIs). A
 * larger body is answered 413 by the stand-in, as by API Gateway, and never reaches the handler.
 */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** The body, or undefined once it is larger than MAX_PAYLOAD_BYTES (the rest is drained, not kept). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_PAYLOAD_BYTES ? undefined : Buffer.concat(chunks);
}

/** Build the payload format 2.0 event of a request. */
export function toHttpApiEvent(
  req: { method: string; rawUrl: string; rawHeaders: string[]; body: Buffer; sourceIp: string; httpVersion: string; localPort: number },
  route: { routeKey: string; pathParameters: Record<string, string> },
  ctx: { accountId: string; apiId: string; requestId: string; now: number; stageVariables?: Record<string, string> },
): HttpApiEventV2 {
  const q = req.rawUrl.indexOf('?');
  const rawPath = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const rawQueryString = q < 0 ? '' : req.rawUrl.slice(q + 1);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    const value = req.rawHeaders[i + 1] as string;
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
      continue;
    }
    if (name === 'connection' || name === 'keep-alive') continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${req.sourceIp}` : req.sourceIp;
  headers['x-forwarded-port'] ??= String(req.localPort);
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(ctx.now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const host = headers.host ?? '127.0.0.1';
  const hasBody = req.body.length > 0;
  const text = isTextContentType(headers['content-type']);
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      domainName: host,
      domainPrefix: host.split('.')[0]?.split(':')[0] ?? host,
      http: {
        method: req.method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: ctx.requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: apiGatewayTime(ctx.now),
      timeEpoch: ctx.now,
    },
    ...(hasBody ? { body: text ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
    ...(Object.keys(route.pathParameters).length ? { pathParameters: route.pathParameters } : {}),
    isBase64Encoded: hasBody && !text,
    ...(ctx.stageVariables && Object.keys(ctx.stageVariables).length ? { stageVariables: ctx.stageVariables } : {}),
  };
}

/**
 * Map a handler result to the HTTP response as API Gateway does with format 2.0: an object with statusCode
 * is a response (headers, cookies -> set-cookie, body, isBase64Encoded); anything else is a 200
 * application/json response whose body is the string itself or the JSON of the value.
 */
export function fromHandlerResult(result: unknown): { status: number; headers: Record<string, string | string[]>; body: Buffer } {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const r = result as { statusCode: unknown; headers?: unknown; cookies?: unknown; body?: unknown; isBase64Encoded?: unknown };
    if (typeof r.statusCode !== 'number' || !Number.isInteger(r.statusCode) || r.statusCode < 100 || r.statusCode > 599) {
      throw new Error('invalid statusCode in the Lambda response');
    }
    const headers: Record<string, string | string[]> = {};
    if (typeof r.headers === 'object' && r.headers !== null) {
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
    }
    if (Array.isArray(r.cookies) && r.cookies.length) headers['set-cookie'] = r.cookies.map(String);
    const raw = r.body === undefined || r.body === null ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    return { status: r.statusCode, headers, body: r.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw) };
  }
  const body = typeof result === 'string' ? result : result === undefined ? '' : JSON.stringify(result);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
}

/** Start the HTTP API on 127.0.0.1. */
export async function startApi(opts: ApiOptions): Promise<LocalApi> {
  const clock: NonNullable<ApiOptions['clock']> = opts.clock ?? { now: () => Date.now() };
  const accountId = opts.accountId ?? '111122223333';
  const apiId = opts.apiId ?? 'local0api1';
  const routes = opts.routes.map((r) => compile(r.method, r.path, r));
  const extra = (opts.extraRoutes ?? []).map((r) => compile(r.method, r.path, r));

  const server = createServer((req, res) => {
    const requestId = randomBytes(12).toString('base64').replace(/[+/]/g, 'A').slice(0, 16);
    // work in flight on the clock while the request is read and answered, but not while its Lambda runs
    // (a handler may back off on simulated time; its own AWS calls are tracked by themselves)
    let end = clock.begin?.() ?? (() => undefined);
    res.once('finish', () => end());
    res.once('close', () => end());
    void (async () => {
      const body = await readBody(req);
      if (!body) return sendJson(res, 413, { message: 'Request Entity Too Large' }, requestId);
      const rawUrl = req.url ?? '/';
      const method = (req.method ?? 'GET').toUpperCase();
      const path = rawUrl.split('?')[0] as string;
      const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      const own = findRoute(extra, method, path);
      if (own) {
        const local: LocalRequest & { pathParameters: Record<string, string> } = {
          method,
          url: new URL(rawUrl, `http://${req.headers.host ?? '127.0.0.1'}`),
          headers: req.headers,
          body,
          sourceIp,
          pathParameters: own.pathParameters,
        };
        await own.route.target.handle(local, res);
        return;
      }
      const found = findRoute(routes, method, path);
      if (!found) return sendJson(res, 404, { message: 'Not Found' }, requestId);
      const event = toHttpApiEvent(
        { method, rawUrl, rawHeaders: req.rawHeaders, body, sourceIp, httpVersion: req.httpVersion, localPort: req.socket.localPort ?? 0 },
        { routeKey: found.route.routeKey, pathParameters: found.pathParameters },
        { accountId, apiId, requestId, now: clock.now(), ...(opts.stageVariables ? { stageVariables: opts.stageVariables } : {}) },
      );
      let out: ReturnType<typeof fromHandlerResult>;
      end();
      try {
        out = fromHandlerResult(await opts.lambda.invoke(found.route.target.functionKey, event));
      } catch {
        end = clock.begin?.() ?? (() => undefined);
        return sendJson(res, 500, { message: 'Internal Server Error' }, requestId);
      }
      end = clock.begin?.() ?? (() => undefined);
      res.writeHead(out.status, { ...out.headers, 'content-length': out.body.length, 'apigw-requestid': requestId });
      res.end(out.body);
    })().catch(() => {
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' }, requestId);
      else res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
