import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HttpApiEventV2, type LocalApi, MAX_PAYLOAD_BYTES, apiGatewayTime, isTextContentType, startApi } from '../../../../src/local/cloud/api/index.ts';
import type { LambdaInvoker } from '../../../../src/local/cloud/lambda-types.ts';

const NOW = Date.parse('2026-06-13T02:03:04.567Z');

describe('local HTTP API (API Gateway v2, payload format 2.0)', () => {
  let api: LocalApi;
  let calls: { key: string; event: HttpApiEventV2 }[];
  let reply: (event: HttpApiEventV2) => unknown;

  beforeEach(async () => {
    calls = [];
    reply = () => ({ statusCode: 200, body: 'ok' });
    const lambda: LambdaInvoker = {
      resolve: (ref) => String(ref),
      invoke: async (key, event) => {
        calls.push({ key, event: event as HttpApiEventV2 });
        return reply(event as HttpApiEventV2);
      },
    };
    api = await startApi({
      routes: [
        { method: 'GET', path: '/approvals/{id}', functionKey: 'approvalPage' },
        { method: 'POST', path: '/approvals/{id}', functionKey: 'approvalDecide' },
        { method: 'GET', path: '/approvals/summary', functionKey: 'summary' },
        { method: 'ANY', path: '/files/{proxy+}', functionKey: 'files' },
      ],
      lambda,
      clock: { now: () => NOW },
      extraRoutes: [
        {
          method: 'GET',
          path: '/_outbox',
          handle: (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify([{ message: 'hi' }]));
          },
        },
      ],
    });
  });
  afterEach(async () => {
    await api.close();
  });

  it('hands the handler the payload format 2.0 event of a GET', async () => {
    const port = new URL(api.endpoint).port;
    const res = await fetch(`${api.endpoint}/approvals/ap%2D1?sig=abc&x=1&x=2`, {
      headers: { 'User-Agent': 'approver-browser', Cookie: 'a=1; b=2', 'X-Multi': 'one' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(calls).toHaveLength(1);
    const { key, event } = calls[0]!;
    expect(key).toBe('approvalPage');
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'GET /approvals/{id}',
      rawPath: '/approvals/ap%2D1',
      rawQueryString: 'sig=abc&x=1&x=2',
      cookies: ['a=1', 'b=2'],
      headers: expect.objectContaining({
        host: `127.0.0.1:${port}`,
        'user-agent': 'approver-browser',
        'x-multi': 'one',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-port': port,
        'x-forwarded-proto': 'http',
        'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
      }),
      queryStringParameters: { sig: 'abc', x: '1,2' },
      requestContext: {
        accountId: '111122223333',
        apiId: 'local0api1',
        domainName: `127.0.0.1:${port}`,
        domainPrefix: '127',
        http: { method: 'GET', path: '/approvals/ap%2D1', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'approver-browser' },
        requestId: expect.stringMatching(/^[A-Za-z0-9=]{16}$/),
        routeKey: 'GET /approvals/{id}',
        stage: '$default',
        time: '13/Jun/2026:02:03:04 +0000',
        timeEpoch: NOW,
      },
      pathParameters: { id: 'ap-1' },
      isBase64Encoded: false,
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
  });

  it('passes a form POST base64-encoded, as HTTP APIs do for every non-text content type', async () => {
    const form = new URLSearchParams({ sig: 's1', decision: 'approve', name: 'Ana', comment: 'go' });
    await fetch(`${api.endpoint}/approvals/ap-1`, { method: 'POST', body: form });
    const { key, event } = calls[0]!;
    expect(key).toBe('approvalDecide');
    expect(event.routeKey).toBe('POST /approvals/{id}');
    expect(event.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').toString()).toBe('sig=s1&decision=approve&name=Ana&comment=go');
    expect(event.queryStringParameters).toBeUndefined();
  });

  it('passes a JSON or text body as text', async () => {
    await fetch(`${api.endpoint}/approvals/ap-1`, { method: 'POST', body: '{"decision":"approve"}', headers: { 'content-type': 'application/json' } });
    expect(calls[0]!.event).toMatchObject({ body: '{"decision":"approve"}', isBase64Encoded: false });
    expect(isTextContentType('text/html; charset=utf-8')).toBe(true);
    expect(isTextContentType('application/octet-stream')).toBe(false);
    expect(isTextContentType(undefined)).toBe(false);
  });

  it('prefers a literal route to a parameter, and matches greedy paths on any method', async () => {
    await fetch(`${api.endpoint}/approvals/summary`);
    await fetch(`${api.endpoint}/files/a/b/c.png`, { method: 'DELETE' });
    expect(calls.map((c) => [c.key, c.event.routeKey, c.event.pathParameters])).toEqual([
      ['summary', 'GET /approvals/summary', undefined],
      ['files', 'ANY /files/{proxy+}', { proxy: 'a/b/c.png' }],
    ]);
  });

  it('maps the handler response: status, headers, cookies, base64 body', async () => {
    reply = () => ({
      statusCode: 409,
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'X-Decided-By': 'Ana' },
      cookies: ['seen=1; Path=/', 'lang=en'],
      body: Buffer.from('<p>already decided</p>').toString('base64'),
      isBase64Encoded: true,
    });
    const res = await fetch(`${api.endpoint}/approvals/ap-1`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('x-decided-by')).toBe('Ana');
    expect(res.headers.getSetCookie()).toEqual(['seen=1; Path=/', 'lang=en']);
    expect(res.headers.get('apigw-requestid')).toBe(calls[0]!.event.requestContext.requestId);
    expect(await res.text()).toBe('<p>already decided</p>');
  });

  it.each([
    ['an object without statusCode', { decided: true }, '{"decided":true}'],
    ['a bare string', 'Hello from Lambda!', 'Hello from Lambda!'],
  ])('answers 200 application/json for %s, as API Gateway infers', async (_name, result, body) => {
    reply = () => result;
    const res = await fetch(`${api.endpoint}/approvals/ap-1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(body);
  });

  it('answers 404 {"message":"Not Found"} when no route matches', async () => {
    const res = await fetch(`${api.endpoint}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
    const wrongMethod = await fetch(`${api.endpoint}/approvals/ap-1`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(404);
    expect(calls).toEqual([]);
  });

  it('answers 413 to a body over the HTTP API payload quota (10 MB), as API Gateway does, without calling the handler', async () => {
    const over = await fetch(`${api.endpoint}/approvals/ap-1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a'.repeat(MAX_PAYLOAD_BYTES + 1) });
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(calls).toEqual([]);
    const at = await fetch(`${api.endpoint}/approvals/ap-1`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a'.repeat(MAX_PAYLOAD_BYTES) });
    expect(at.status).toBe(200);
    expect(calls[0]?.event.body).toHaveLength(MAX_PAYLOAD_BYTES);
  });

  it('answers 500 {"message":"Internal Server Error"} when the handler throws or returns a bad statusCode', async () => {
    reply = () => {
      throw new Error('boom');
    };
    const thrown = await fetch(`${api.endpoint}/approvals/ap-1`);
    expect(thrown.status).toBe(500);
    expect(await thrown.json()).toEqual({ message: 'Internal Server Error' });
    reply = () => ({ statusCode: 'teapot' });
    const bad = await fetch(`${api.endpoint}/approvals/ap-1`);
    expect(bad.status).toBe(500);
    expect(await bad.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('serves the local cloud own routes (GET /_outbox) without a handler', async () => {
    const res = await fetch(`${api.endpoint}/_outbox`);
    expect(await res.json()).toEqual([{ message: 'hi' }]);
    expect(calls).toEqual([]);
  });

  it('formats requestContext.time as API Gateway does', () => {
    expect(apiGatewayTime(Date.parse('2020-03-12T19:03:58Z'))).toBe('12/Mar/2020:19:03:58 +0000');
  });
});
