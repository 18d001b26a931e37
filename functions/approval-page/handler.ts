import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PAGE_HEADERS, FORBIDDEN_PAGE, UNAVAILABLE_PAGE, confirmationPage, decidedPage, refusalPage } from '../../src/core/approval-page.ts';
import { type ApprovalDeps, decideByLink, gatherEvidence, openLink } from '../../src/core/approvals.ts';
import { logOf } from '../../src/core/log.ts';
import { type HandlerSpec, type InvocationContext, invocationLogger, portViewOf } from '../_lib/runtime.ts';

/**
 * The approval pages behind the HTTP API: `GET /approvals/{id}?sig=...` shows the confirmation page and
 * changes nothing; `POST /approvals/{id}` (form: sig, decision, name, comment, ...) decides. 200 decided, 409
 * already decided, 410 expired, 403 for anything forged, tampered or unknown (one body for all). The
 * signature and the page are never logged.
 */

/** A form post larger than this is not one of ours. */
export const MAX_BODY_BYTES = 16 * 1024;

const respond = (statusCode: number, body: string): APIGatewayProxyStructuredResultV2 => ({ statusCode, headers: PAGE_HEADERS, body });

function form(event: APIGatewayProxyEventV2): URLSearchParams | undefined {
  const raw = event.body ?? '';
  // the size is checked before anything is decoded: base64 makes 4 characters of every 3 bytes
  if (raw.length > (event.isBase64Encoded ? Math.ceil(MAX_BODY_BYTES / 3) * 4 : MAX_BODY_BYTES)) return undefined;
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) return undefined;
  const type = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  return new URLSearchParams(text);
}

export async function approvalPage(deps: ApprovalDeps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await answer(deps, event);
  } catch (err) {
    // a dependency failed (DynamoDB, Step Functions): nothing was decided, say so and when to try again (never a
    // bare 500); the error's name only, the page and its signature are never logged
    logOf(deps).warn('approval page: a dependency failed', { error: (err as Error).name });
    return { statusCode: 503, headers: { ...PAGE_HEADERS, 'retry-after': '60' }, body: UNAVAILABLE_PAGE };
  }
}

async function answer(deps: ApprovalDeps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext.http.method.toUpperCase();
  const id = event.pathParameters?.id ?? '';
  if (method === 'GET' || method === 'HEAD') {
    const sig = event.queryStringParameters?.sig ?? '';
    const checked = await openLink(deps, id, sig);
    if (checked.status !== 200) {
      logOf(deps).info('approval page refused', { status: checked.status });
      return respond(checked.status, refusalPage(checked));
    }
    const evidence = await gatherEvidence(deps, checked.gate);
    return respond(200, confirmationPage({ checked, evidence, sig, now: deps.clock.now().getTime() }));
  }
  if (method !== 'POST') return { statusCode: 405, headers: { ...PAGE_HEADERS, allow: 'GET, POST' }, body: FORBIDDEN_PAGE };
  const f = form(event);
  if (!f) return respond(403, FORBIDDEN_PAGE);
  const post = {
    id,
    sig: f.get('sig') ?? '',
    decision: f.get('decision') ?? '',
    name: f.get('name') ?? '',
    comment: f.get('comment') ?? '',
    quiesced: f.get('quiesced') === 'true',
    terminateInstances: f.get('terminateInstances') === 'true',
    acceptMissing: f.getAll('acceptMissing'),
    changeRef: f.get('changeRef') ?? '',
    sourceIp: event.requestContext.http.sourceIp,
    userAgent: event.requestContext.http.userAgent,
  };
  const r = await decideByLink(deps, post);
  // a refusal is counted in the audit (mgn-flow approvals audit) and logged by its status alone
  if (r.status === 200) logOf(deps).debug('approval post', { status: r.status, gateId: r.gate.id, decision: r.entry.decision, released: r.released.length });
  else logOf(deps).info('approval post refused', { status: r.status });
  if (r.status === 200) return respond(200, decidedPage(r.gate, r.entry));
  if (r.status === 400) return respond(400, confirmationPage({ checked: r.checked, evidence: r.evidence, sig: post.sig, problems: r.problems, form: { name: post.name, comment: post.comment, changeRef: post.changeRef }, now: deps.clock.now().getTime() }));
  return respond(r.status, refusalPage(r));
}

/** Its own middy stack: the invocation's logger with the Lambda context, no result logging (the page carries the link's signature). */
const spec: HandlerSpec = {
  name: 'approvalPage',
  uses: ['clock', 'metrics', 'waits', 'gates', 'callbacks', 'links', 'audit', 'keys', 'approvalBaseUrl', 'stalls', 'mgn.describeServers', 'mgn.describeJobs'],
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, InvocationContext>()
  .use(invocationLogger())
  .use(portViewOf(spec))
  .handler(async (event, context) => approvalPage(context.deps as unknown as ApprovalDeps, event));
