import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MgnClient } from '@aws-sdk/client-mgn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { DashboardReader, type ReaderOptions } from './reader.ts';

/**
 * The dashboard: a small HTTP server that reads the Step Functions and MGN APIs through the SDK clients it
 * is given (the local cloud's endpoints, or AWS with the operator's credentials: they stay in this process)
 * and serves one static page (plain JS, inline SVG, nothing from elsewhere) plus the JSON it polls:
 *   GET /api/board                         the wave board (rebuilt at most every 2 s)
 *   GET /api/executions/{arn}/graph        an execution's ASL laid out, with its states' colours
 *   GET /api/executions/{arn}/states       the colours only (what the page polls every second)
 *   GET /api/inbox, /api/outbox            the optional providers' items (newest 200)
 *   GET /api/clock, POST /api/clock        the simulated clock, when one is given (the local cloud's)
 * It listens on 127.0.0.1 and answers only requests addressed to it by that name (no DNS rebinding). It only
 * reads, but for one control: POST /api/clock pauses, resumes, speeds up or slows down a wall-scaled
 * simulated clock. That POST needs a JSON body and the `x-mgn-flow-control: clock` header, which a
 * cross-site form cannot send and a cross-site script cannot send without a preflight this server refuses.
 */

/** The simulated clock the dashboard shows and paces (the local cloud's VirtualClock). */
export interface DashboardClock {
  now(): number;
  /** 'scaled' (follows the wall clock times a scale: it can be paused and re-paced), 'manual' or 'discrete'. */
  readonly mode: string;
  readonly isPaused: boolean;
  /** Simulated seconds per wall second set for the scaled mode, paused or not. */
  readonly configuredScale: number;
  pause(): void;
  resume(): void;
  setScale(n: number): void;
}

/** What GET and POST /api/clock answer. `scale` is the set pace in the scaled mode, 0 in the others. */
export interface ClockState {
  nowMs: number;
  now: string;
  mode: string;
  paused: boolean;
  scale: number;
}

export const CLOCK_ACTIONS = ['pause', 'resume', 'faster', 'slower'] as const;
export type ClockAction = (typeof CLOCK_ACTIONS)[number];
/** faster doubles the pace up to this; slower halves it down to 1 (real time). */
export const MAX_CLOCK_SCALE = 1e6;
/** The header a clock POST must carry (a custom header: no form can send it, no cross-site fetch without a preflight). */
export const CLOCK_CONTROL_HEADER = 'x-mgn-flow-control';
const MAX_CONTROL_BODY = 4096;

export interface DashboardOptions {
  port?: number;
  host?: string;
  clients: { sfn: SFNClient; mgn: MgnClient };
  /** Server-lifecycle state machines whose executions make the board. */
  stateMachineArns: string[];
  /** Approvals waiting for a decision (the lead wires it later). */
  inbox?: () => Promise<unknown[]>;
  /** The stored waves: every application (started or not), each server's whereabouts in words (the state table). */
  plans?: () => Promise<unknown[]>;
  /** Notifications sent (locally: the SNS outbox). */
  outbox?: () => Promise<unknown[]>;
  /** A title for the page (stage, region or "local"). */
  title?: string;
  reader?: Omit<ReaderOptions, 'sfn' | 'mgn' | 'stateMachineArns'>;
  /** The simulated clock: the page shows its time and pace, and paces a scaled one (GET/POST /api/clock). */
  clock?: DashboardClock;
}

export interface RunningDashboard {
  url: string;
  port: number;
  reader: DashboardReader;
  close(): Promise<void>;
}

const PUBLIC = new URL('./public/', import.meta.url);

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The newest items of the inbox and the outbox the page gets (it says how many there are in all). */
const PROVIDER_LIMIT = 500;

export async function startDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const reader = new DashboardReader({ sfn: opts.clients.sfn, mgn: opts.clients.mgn, stateMachineArns: opts.stateMachineArns, ...opts.reader });
  const files = new Map<string, Buffer>();
  for (const [path, f] of Object.entries(STATIC)) files.set(path, readFileSync(new URL(f.file, PUBLIC)));
  const host = opts.host ?? '127.0.0.1';
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendJson(res, 500, { error: 'InternalError', message: (err as Error).message }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts.has(String(req.headers.host ?? '').toLowerCase())) return sendJson(res, 421, { error: 'MisdirectedRequest', message: 'use the address the dashboard printed' });
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    if (path === '/api/clock') return clockRoute(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'MethodNotAllowed', message: 'the dashboard only reads' });
    }
    const file = STATIC[path];
    if (file) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : files.get(path));
      return;
    }
    if (path === '/api/board') {
      const [board, plans] = await Promise.all([reader.getBoard(), opts.plans ? opts.plans().catch((err: unknown) => ({ error: (err as Error).message })) : Promise.resolve(undefined)]);
      const planError = plans && !Array.isArray(plans) ? [`waves from the state table: ${(plans as { error: string }).error}`] : [];
      return sendJson(res, 200, { title: opts.title ?? 'mgn-flow', ...board, problems: [...board.problems, ...planError], plans: Array.isArray(plans) ? plans : [] });
    }
    if (path === '/api/inbox' || path === '/api/outbox') {
      const provider = path === '/api/inbox' ? opts.inbox : opts.outbox;
      if (!provider) return sendJson(res, 200, { available: false, items: [] });
      const items = await provider();
      return sendJson(res, 200, { available: true, total: items.length, items: items.slice(-PROVIDER_LIMIT).reverse() });
    }
    const m = /^\/api\/executions\/([^/]+)\/(graph|states)$/.exec(path);
    if (m) {
      let arn: string;
      try {
        arn = decodeURIComponent(m[1] as string);
      } catch {
        return sendJson(res, 400, { error: 'BadRequest', message: 'the execution ARN is not URI-encoded' });
      }
      if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) return sendJson(res, 400, { error: 'BadRequest', message: 'not an execution ARN' });
      try {
        return sendJson(res, 200, m[2] === 'graph' ? await reader.getGraph(arn) : await reader.getStates(arn));
      } catch (err) {
        const e = err as Error;
        if (e.name === 'ExecutionDoesNotExist') return sendJson(res, 404, { error: e.name, message: e.message });
        return sendJson(res, 502, { error: e.name, message: e.message });
      }
    }
    return sendJson(res, 404, { error: 'NotFound', message: `no route ${path}` });
  }

  async function clockRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const clock = opts.clock;
    if (!clock) return sendJson(res, 404, { error: 'NotFound', message: 'this dashboard has no simulated clock (it shows AWS, on wall time)' });
    if (req.method === 'GET' || req.method === 'HEAD') return sendJson(res, 200, clockState(clock));
    if (req.method !== 'POST') {
      res.setHeader('allow', 'GET, HEAD, POST');
      return sendJson(res, 405, { error: 'MethodNotAllowed', message: 'GET reads the clock, POST {"action": …} paces it' });
    }
    const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const origin = req.headers.origin;
    if (type !== 'application/json' || req.headers[CLOCK_CONTROL_HEADER] !== 'clock' || (origin !== undefined && !allowedOrigins.has(origin.toLowerCase()))) {
      return sendJson(res, 403, { error: 'Forbidden', message: `a clock control needs content-type: application/json and the header ${CLOCK_CONTROL_HEADER}: clock, from the dashboard's own page` });
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_CONTROL_BODY) return sendJson(res, 413, { error: 'PayloadTooLarge', message: `a clock control is at most ${MAX_CONTROL_BODY} bytes` });
    let action: unknown;
    try {
      const raw = await readBody(req, MAX_CONTROL_BODY);
      action = (JSON.parse(raw) as { action?: unknown } | null)?.action;
    } catch {
      return sendJson(res, 400, { error: 'BadRequest', message: `the body must be JSON such as {"action": "pause"}, at most ${MAX_CONTROL_BODY} bytes` });
    }
    if (typeof action !== 'string' || !(CLOCK_ACTIONS as readonly string[]).includes(action)) {
      return sendJson(res, 400, { error: 'BadRequest', message: `unknown action ${JSON.stringify(action ?? null)}; allowed: ${CLOCK_ACTIONS.join(', ')}` });
    }
    if (clock.mode !== 'scaled' && action !== 'resume') {
      const why = clock.mode === 'discrete' ? 'it jumps whenever the cloud is idle' : clock.mode === 'manual' ? 'it moves only when advanced' : 'it does not follow the wall clock';
      return sendJson(res, 409, { error: 'Conflict', message: `the clock is ${clock.mode}: ${why}; only a wall-scaled clock can be paused or re-paced`, clock: clockState(clock) });
    }
    applyClockAction(clock, action as ClockAction);
    return sendJson(res, 200, clockState(clock));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`]);
  allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));
  server.keepAliveTimeout = 5000;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    reader,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The clock as GET /api/clock answers it. */
export function clockState(clock: DashboardClock): ClockState {
  const nowMs = clock.now();
  return { nowMs, now: new Date(nowMs).toISOString(), mode: clock.mode, paused: clock.isPaused, scale: clock.mode === 'scaled' ? clock.configuredScale : 0 };
}

/** Pause, resume, or double or halve the pace (within 1 to MAX_CLOCK_SCALE; a pace outside it is not moved further out). */
export function applyClockAction(clock: DashboardClock, action: ClockAction): void {
  const scale = clock.configuredScale;
  if (action === 'pause') clock.pause();
  else if (action === 'resume') clock.resume();
  else if (action === 'faster') {
    if (scale < MAX_CLOCK_SCALE) clock.setScale(Math.min(scale * 2, MAX_CLOCK_SCALE));
  } else if (scale > 1) clock.setScale(Math.max(scale / 2, 1));
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
