import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { AwsError, type LocalRequest, type LocalService, header } from '../protocol.ts';
import { escapeXml } from '../sns/query.ts';

/**
 * CloudFormation stand-in (awsQuery, `Version=2010-05-15`, the protocol `@aws-sdk/client-cloudformation`
 * speaks): DescribeStacks for the one stack the local cloud runs, `<service>-<stage>` as osls names it, with
 * the Outputs serverless.yml declares (`resources.Outputs`), their values resolved to the local resources.
 * The CLI finds its resources through it exactly as it does on AWS (src/cli/stack.ts). Any other stack is
 * "does not exist", as AWS answers it.
 */

export const CLOUDFORMATION_VERSION = '2010-05-15';
const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export interface LocalStackOutput {
  OutputKey: string;
  OutputValue: string;
  Description?: string;
}

export interface LocalStack {
  name: string;
  /** Resolved at each call: a test may remove or change one (doctor's missing-output check). */
  outputs(): LocalStackOutput[];
  createdAt: number;
}

export interface LocalCloudFormationOptions {
  region: string;
  accountId: string;
  stack: LocalStack;
}

export interface LocalCloudFormation extends LocalService {
  /** How many DescribeStacks calls were answered (tests: discovery really went through CloudFormation). */
  readonly calls: { describeStacks: number };
  /** Leave an output out of DescribeStacks (tests: a stack deployed from an older template); `restore()` brings all back. */
  hideOutput(key: string): void;
  restore(): void;
}

/** The credential scope's service, when the request is signed (`.../<region>/<service>/aws4_request`). */
function signingService(req: LocalRequest): string | undefined {
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(header(req, 'authorization') ?? '')?.[1];
}

export function createCloudFormation(opts: LocalCloudFormationOptions): LocalCloudFormation {
  const calls = { describeStacks: 0 };
  const hidden = new Set<string>();
  const stackId = `arn:aws:cloudformation:${opts.region}:${opts.accountId}:stack/${opts.stack.name}/${randomUUID()}`;

  const describeStacks = (p: URLSearchParams): string => {
    calls.describeStacks++;
    const name = p.get('StackName');
    if (name !== null && name !== opts.stack.name && name !== stackId) throw new AwsError('ValidationError', `Stack with id ${name} does not exist`, 400);
    const outputs = opts.stack
      .outputs()
      .filter((o) => !hidden.has(o.OutputKey))
      .map((o) => `<member><OutputKey>${escapeXml(o.OutputKey)}</OutputKey><OutputValue>${escapeXml(o.OutputValue)}</OutputValue>${o.Description ? `<Description>${escapeXml(o.Description)}</Description>` : ''}</member>`)
      .join('');
    return (
      `<Stacks><member><StackId>${escapeXml(stackId)}</StackId><StackName>${escapeXml(opts.stack.name)}</StackName>` +
      `<CreationTime>${new Date(opts.stack.createdAt).toISOString()}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>` +
      `<Outputs>${outputs}</Outputs></member></Stacks>`
    );
  };

  const operations: Record<string, (p: URLSearchParams) => string> = { DescribeStacks: describeStacks };

  return {
    name: 'cloudformation',
    calls,
    hideOutput: (key) => void hidden.add(key),
    restore: () => hidden.clear(),
    matches(req) {
      if (req.method !== 'POST' || !(header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return false;
      const service = signingService(req);
      if (service !== undefined && service !== 'cloudformation') return false;
      return new URLSearchParams(req.body.toString('utf8')).get('Version') === CLOUDFORMATION_VERSION;
    },
    handle(req: LocalRequest, res: ServerResponse) {
      const params = new URLSearchParams(req.body.toString('utf8'));
      const action = params.get('Action') ?? '';
      const requestId = randomUUID();
      try {
        const op = operations[action];
        if (!op) throw new AwsError('InvalidAction', `The action ${action || '(none)'} is not valid for this endpoint (local CloudFormation answers DescribeStacks).`, 400);
        const body = `<${action}Response xmlns="${XMLNS}"><${action}Result>${op(params)}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
        res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
        res.end(body);
      } catch (err) {
        const e = err instanceof AwsError ? err : new AwsError('InternalFailure', (err as Error).message, 500);
        const body = `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(e.type)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
        res.writeHead(e.status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
        res.end(body);
      }
      return Promise.resolve();
    },
  };
}

/** What a CloudFormation value in serverless.yml stands for locally: a logical id's Ref and GetAtt. */
export interface LocalRefs {
  ref(logicalId: string): string | undefined;
  getAtt(logicalId: string, attribute: string): string | undefined;
  /** The HTTP API's URL (osls's `https://<HttpApi>.execute-api.<region>.<suffix>`). */
  apiUrl: string;
}

/** `Fn::Join` of 'https://', `Ref: HttpApi` and '.execute-api.': the HTTP API's URL as serverless.yml writes it. */
export function isHttpApiUrl(v: unknown): boolean {
  const join = (v as { 'Fn::Join'?: unknown } | null)?.['Fn::Join'];
  if (!Array.isArray(join) || join[0] !== '' || !Array.isArray(join[1])) return false;
  const parts = join[1] as unknown[];
  return parts[0] === 'https://' && (parts[1] as { Ref?: unknown } | null)?.Ref === 'HttpApi' && parts[2] === '.execute-api.';
}

/** Resolve a value of the template (plain, Ref, Fn::GetAtt, the HTTP API's URL) to its local value; undefined when it cannot be. */
export function resolveLocal(v: unknown, refs: LocalRefs): string | undefined {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isHttpApiUrl(v)) return refs.apiUrl;
  const o = v as Record<string, unknown> | null;
  if (typeof o?.Ref === 'string') return refs.ref(o.Ref);
  const join = o?.['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = (join[1] as unknown[]).map((p) => resolveLocal(p, refs));
    return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
  }
  const att = o?.['Fn::GetAtt'];
  const [id, attribute] = Array.isArray(att) ? att : typeof att === 'string' ? att.split('.') : [];
  if (typeof id === 'string' && typeof attribute === 'string') return refs.getAtt(id, attribute);
  return undefined;
}
