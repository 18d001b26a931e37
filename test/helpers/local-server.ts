import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalRequest, LocalService } from '../../src/local/cloud/protocol.ts';

export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Every request served, in order (method, path and query, body text): handy to see what an SDK sent. */
  requests: { method: string; url: string; body: string }[];
  close(): Promise<void>;
}

/** Test credentials and region for SDK clients pointed at a local stand-in. */
export const LOCAL_CLIENT = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  maxAttempts: 1,
} as const;

async function toLocalRequest(req: IncomingMessage): Promise<LocalRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return {
    method: req.method ?? 'GET',
    url: new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`),
    headers: req.headers,
    body: Buffer.concat(chunks),
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
  };
}

/**
 * Serve local stand-ins on 127.0.0.1 (a free port): each request goes to the first service that matches it,
 * as the shared local endpoint does; no match answers 404 JSON.
 */
export async function serveLocal(...services: LocalService[]): Promise<LocalServer> {
  const requests: LocalServer['requests'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const local = await toLocalRequest(req);
      requests.push({ method: local.method, url: local.url.pathname + local.url.search, body: local.body.toString('utf8') });
      const service = services.find((s) => s.matches(local));
      if (!service) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `no local service for ${local.method} ${local.url.pathname}` }));
        return;
      }
      await service.handle(local, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: (err as Error).message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
