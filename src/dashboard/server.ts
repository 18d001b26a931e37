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
 * It listens on 127.0.0.1 and answers only requests addressed to it by that name (no DNS rebinding).
 */

export interface DashboardOptions {
  port?: number;
  host?: string;
  clients: { sfn: SFNClient; mgn: MgnClient };
  /** Server-lifecycle state machines whose executions make the board. */
  stateMachineArns: string[];
  /** Approvals waiting for a decision (the lead wires it later). */
  inbox?: () => Promise<unknown[]>;
  /** Notifications sent (locally: the SNS outbox). */
  outbox?: () => Promise<unknown[]>;
  /** A title for the page (stage, region or "local"). */
  title?: string;
  reader?: Omit<ReaderOptions, 'sfn' | 'mgn' | 'stateMachineArns'>;
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

const PROVIDER_LIMIT = 200;

export async function startDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const reader = new DashboardReader({ sfn: opts.clients.sfn, mgn: opts.clients.mgn, stateMachineArns: opts.stateMachineArns, ...opts.reader });
  const files = new Map<string, Buffer>();
  for (const [path, f] of Object.entries(STATIC)) files.set(path, readFileSync(new URL(f.file, PUBLIC)));
  const host = opts.host ?? '127.0.0.1';
  let allowedHosts = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendJson(res, 500, { error: 'InternalError', message: (err as Error).message }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts.has(String(req.headers.host ?? '').toLowerCase())) return sendJson(res, 421, { error: 'MisdirectedRequest', message: 'use the address the dashboard printed' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'MethodNotAllowed', message: 'the dashboard only reads' });
    }
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    const file = STATIC[path];
    if (file) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : files.get(path));
      return;
    }
    if (path === '/api/board') return sendJson(res, 200, { title: opts.title ?? 'mgn-flow', ...(await reader.getBoard()) });
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`]);
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

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
