import { type Server, createServer } from 'node:http';
import { AwsError, type LocalRequest, type LocalService, sendJsonError } from './protocol.ts';

/**
 * One local endpoint serving several stand-ins: each request goes to the first service whose protocol
 * claims it (X-Amz-Target prefix, form Action, REST path). docs/adr/0003-local-cloud.md: "one URL may serve several services".
 */
/** Far above any AWS API's own request limit (SNS and EventBridge: 256 KB). */
const MAX_BODY = 1024 * 1024;

export async function startGateway(services: LocalService[], port = 0): Promise<{ endpoint: string; port: number; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) {
        sendJsonError(res, new AwsError('RequestEntityTooLarge', `Request body is over ${MAX_BODY} bytes`, 413), 'local');
        return;
      }
      const request: LocalRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks),
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      };
      const service = services.find((s) => s.matches(request));
      if (!service) {
        sendJsonError(res, new AwsError('UnknownOperationException', `No local service handles ${request.method} ${request.url.pathname} (x-amz-target: ${String(req.headers['x-amz-target'] ?? '-')})`, 404), 'local');
        return;
      }
      service.handle(request, res).catch((err: unknown) => {
        if (!res.headersSent) sendJsonError(res, new AwsError('InternalFailure', (err as Error).message, 500), 'local');
        else res.end();
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    port: bound,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
