import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Wire helpers shared by the local stand-ins. Each stand-in speaks its service's real protocol, so the real
 * pinned `@aws-sdk/client-*` talks to it unchanged:
 * - awsJson1_0 (Step Functions, DynamoDB) and awsJson1_1 (EventBridge, Service Quotas): `POST /`,
 *   `X-Amz-Target: <Prefix>.<Operation>`, JSON in and out, errors as `{"__type": ..., "message": ...}`;
 * - restJson1 (Scheduler): operation by method and path;
 * - awsQuery (SNS): form-encoded `Action=...`, XML out.
 */

/** A modeled service error: `type` is the exception's shape name (e.g. ExecutionAlreadyExists). */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = type;
  }
}

export interface LocalRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** Remote address (for audit fields). */
  sourceIp: string;
}

/** One stand-in behind the shared local endpoint: it claims the requests of its protocol. */
export interface LocalService {
  readonly name: string;
  matches(req: LocalRequest): boolean;
  handle(req: LocalRequest, res: ServerResponse): Promise<void>;
}

export function header(req: LocalRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The operation of an awsJson request when its X-Amz-Target has this prefix, else undefined. */
export function jsonTarget(req: LocalRequest, prefix: string): string | undefined {
  const target = header(req, 'x-amz-target');
  if (req.method !== 'POST' || !target?.startsWith(`${prefix}.`)) return undefined;
  return target.slice(prefix.length + 1);
}

export function parseJsonBody(req: LocalRequest): Record<string, unknown> {
  const text = req.body.toString('utf8');
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AwsError('SerializationException', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.0'): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

/** awsJson error: the type in both the header and `__type`, as AWS sends it. */
export function sendJsonError(res: ServerResponse, err: AwsError, namespace: string, contentType = 'application/x-amz-json-1.0'): void {
  const text = JSON.stringify({ __type: `${namespace}#${err.type}`, message: err.message, ...err.extra });
  res.writeHead(err.status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    'x-amzn-ErrorType': err.type,
  });
  res.end(text);
}

/**
 * Run an awsJson operation table: unknown operations and unexpected exceptions become modeled JSON errors,
 * never HTML or a dropped connection.
 */
export async function handleJsonProtocol(
  req: LocalRequest,
  res: ServerResponse,
  opts: {
    prefix: string;
    namespace: string;
    contentType: string;
    operations: Record<string, (input: Record<string, unknown>, req: LocalRequest) => Promise<unknown> | unknown>;
  },
): Promise<void> {
  const op = jsonTarget(req, opts.prefix) ?? '';
  try {
    const fn = opts.operations[op];
    if (!fn) throw new AwsError('UnknownOperationException', `Operation ${op || '(none)'} is not supported by the local ${opts.prefix} stand-in`);
    const input = parseJsonBody(req);
    const out = await fn(input, req);
    sendJson(res, 200, out ?? {}, opts.contentType);
  } catch (err) {
    const e = err instanceof AwsError ? err : new AwsError('InternalServerError', (err as Error).message, 500);
    sendJsonError(res, e, opts.namespace, opts.contentType);
  }
}

/** AWS timestamps in awsJson are epoch seconds (fractional allowed). */
export const epochSeconds = (ms: number): number => ms / 1000;

export function requireString(input: Record<string, unknown>, name: string, opts: { max?: number; pattern?: RegExp } = {}): string {
  const v = input[name];
  if (typeof v !== 'string' || v.length === 0) throw new AwsError('ValidationException', `${name} is required and must be a non-empty string`);
  if (opts.max !== undefined && v.length > opts.max) throw new AwsError('ValidationException', `${name} must be at most ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw new AwsError('ValidationException', `${name} has an invalid format`);
  return v;
}

export function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AwsError('ValidationException', `${name} must be a string`);
  return v;
}

export function pageOf<T>(items: T[], maxResults: unknown, nextToken: unknown, limit = 1000): { page: T[]; nextToken?: string } {
  const size = typeof maxResults === 'number' && maxResults > 0 ? Math.min(maxResults, limit) : limit;
  let offset = 0;
  if (nextToken !== undefined && nextToken !== null) {
    const n = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString('utf8')) : NaN;
    if (!Number.isInteger(n) || n < 0) throw new AwsError('InvalidToken', 'Invalid nextToken');
    offset = n;
  }
  const page = items.slice(offset, offset + size);
  return offset + size < items.length
    ? { page, nextToken: Buffer.from(String(offset + size)).toString('base64url') }
    : { page };
}
