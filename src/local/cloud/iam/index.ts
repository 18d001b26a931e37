import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { roleLogicalId, statementsFor, usesInSource, type Statement } from '../../../../deploy/iam.ts';
import { operatorStatements } from '../../../../deploy/operator-policy.ts';
import type { LocalRefs } from '../cloudformation/index.ts';
import type { ServerlessConfig } from '../serverless-config.ts';
import { evaluate, type ResolvedStatement, resolvePattern } from './policy.ts';

export { evaluate, globMatch, resolvePattern, type ResolvedStatement } from './policy.ts';

/**
 * IAM enforced on the local cloud: each function's role gets the policy deploy/iam.ts generates for the
 * template from the ports its handler declares (the same function, the same `uses`), and every AWS call a
 * handler makes is checked against it before its stand-in sees it. A call the role does not allow is answered
 * as AWS answers it (AccessDeniedException; SNS: AuthorizationError), so a missing permission fails a local
 * test instead of a production wave. Calls from outside a handler (the CLI, the cloud's own wiring) are not
 * checked: they are the operator's, whose policy docs/deploy.md gives.
 */

/** The principal of the operator running the CLI (deploy/operator-policy.ts): tests run the CLI as it. */
export const OPERATOR = '(operator)';

/** Which function's code is running (set around each invocation by the local Lambda), or the operator's CLI. */
export const invocationContext = new AsyncLocalStorage<{ functionKey: string }>();

/** Run `fn` outside any function's context (the cloud's own integrations: a state machine's SNS task is the state machine's, not the caller's). */
export function outsideFunctions<T>(fn: () => T): T {
  return invocationContext.exit(fn);
}

/** The request as the SDK's HTTP handler gets it. */
export interface WireRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A denied call, as the service would answer it. */
export interface WireResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface LocalIamOptions {
  config: Pick<ServerlessConfig, 'root' | 'service' | 'stage' | 'functions'>;
  refs: LocalRefs;
  region: string;
  accountId: string;
  /**
   * The tags of a resource a call names (EC2: a launch template's), as IAM's `aws:ResourceTag/<key>` condition
   * keys read them: the launch-template statement allows only templates MGN made (tagged
   * AWSApplicationMigrationServiceManaged).
   */
  resourceTags?: (arn: string) => Record<string, string> | undefined;
  /** Change a role's generated statements (tests: take one action away). */
  rolePolicies?: (functionKey: string, statements: Statement[]) => Statement[];
}

export interface CallCheck {
  functionKey: string;
  action: string;
  resource?: string;
  allowed: boolean;
}

export class LocalIam {
  /** Each function's role statements, resolved to local ARN patterns. */
  readonly policies = new Map<string, ResolvedStatement[]>();
  readonly roleArns = new Map<string, string>();
  /** Every call refused (tests read it). */
  readonly denied: CallCheck[] = [];
  /** Functions without a `uses` declaration (not the convention of functions/_lib/runtime.ts): not checked. */
  readonly unenforced: string[] = [];
  /** How many handler calls were checked, in all and by function (or OPERATOR). */
  checked = 0;
  readonly checkedBy = new Map<string, number>();
  private readonly stack: string;

  constructor(private readonly opts: LocalIamOptions) {
    this.stack = `${opts.config.service}-${opts.config.stage}`;
    for (const [key, fn] of Object.entries(opts.config.functions)) {
      const file = `${fn.handler.replace(/\.[^./]+$/, '')}.ts`;
      const path = resolve(opts.config.root, file);
      const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
      // a project whose handlers do not declare their ports (another serverless.yml run locally) has no generated roles to enforce
      if (!/\buses:\s*\[/.test(text)) {
        this.unenforced.push(key);
        continue;
      }
      const uses = usesInSource(text, file);
      const name = `${this.stack}-${key}`;
      let statements = statementsFor({ key, name, uses });
      if (opts.rolePolicies) statements = opts.rolePolicies(key, structuredClone(statements));
      this.policies.set(key, statements.map((s) => this.resolveStatement(s)));
      this.roleArns.set(key, `arn:aws:iam::${opts.accountId}:role/${this.stack}-${roleLogicalId(key)}`);
    }
    try {
      this.policies.set(OPERATOR, operatorStatements().map((s) => this.resolveStatement(s)));
    } catch {
      // another serverless.yml run locally (a test's fixture project) lacks mgn-flow's resources: the operator's
      // policy names resources it does not have, so the CLI's calls are not checked there
      this.unenforced.push(OPERATOR);
    }
  }

  private resolveStatement(s: Statement): ResolvedStatement {
    const o = { refs: this.opts.refs, region: this.opts.region, accountId: this.opts.accountId, stack: this.stack };
    return { actions: s.Action, resources: s.Resource.map((r) => resolvePattern(r, o)), ...(s.Condition ? { condition: s.Condition } : {}), ...(s.Sid ? { sid: s.Sid } : {}) };
  }

  /** Take an action out of a function's role (tests: a role deployed without it); `restore()` puts every role back. */
  revoke(functionKey: string, action: string): void {
    const statements = this.policies.get(functionKey);
    if (!statements) throw new Error(`local IAM: no role for function ${functionKey}`);
    if (!this.original.has(functionKey)) this.original.set(functionKey, statements);
    this.policies.set(functionKey, statements.map((st) => ({ ...st, actions: st.actions.filter((a) => a !== action) })).filter((st) => st.actions.length > 0));
  }

  restore(): void {
    for (const [key, statements] of this.original) this.policies.set(key, statements);
    this.original.clear();
  }

  private readonly original = new Map<string, ResolvedStatement[]>();

  /** The function whose role has this ARN. */
  functionOfRole(roleArn: string): string | undefined {
    for (const [key, arn] of this.roleArns) if (arn === roleArn) return key;
    return undefined;
  }

  /** A resource's tags as condition keys (`aws:ResourceTag/<key>`). */
  private tagContext(arn: string): Record<string, string> {
    const tags = this.opts.resourceTags?.(arn) ?? {};
    return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  }

  /** Is the call allowed for the function's role? */
  check(functionKey: string, action: string, resource: string | undefined, context: Record<string, string> = {}): boolean {
    const statements = this.policies.get(functionKey);
    // a function the template does not declare (a test's stand-in handler) has no role to check against
    if (!statements) return true;
    return evaluate(statements, action, resource, context).allowed;
  }

  /**
   * The guard the in-process transport asks before a stand-in sees a request: undefined to let it through,
   * or the service's own access-denied answer.
   */
  guard = (request: WireRequest): WireResponse | undefined => {
    const ctx = invocationContext.getStore();
    if (!ctx) return undefined;
    const call = describeCall(request, this.opts.region, this.opts.accountId);
    if (!call) return undefined;
    this.checked++;
    this.checkedBy.set(ctx.functionKey, (this.checkedBy.get(ctx.functionKey) ?? 0) + 1);
    const resources = call.resources.length ? call.resources : [undefined];
    const bad = resources.filter((r) => !this.check(ctx.functionKey, call.action, r, r ? this.tagContext(r) : {}));
    if (bad.length === 0) return undefined;
    const refused = bad[0];
    const roleArn = this.roleArns.get(ctx.functionKey) ?? 'unknown';
    const user = `arn:aws:sts::${this.opts.accountId}:assumed-role/${roleArn.split('/').pop()}/${this.stack}-${ctx.functionKey}`;
    const message = `User: ${user} is not authorized to perform: ${call.action}${refused ? ` on resource: ${refused}` : ''} because no identity-based policy allows the ${call.action} action`;
    this.denied.push({ functionKey: ctx.functionKey, action: call.action, ...(refused ? { resource: refused } : {}), allowed: false });
    return deniedResponse(call.protocol, message);
  };
}

type Protocol = 'json' | 'query' | 'ec2' | 'rest';

/** IAM service prefixes by the request's signing name. */
const PREFIX: Record<string, string> = { dynamodb: 'dynamodb', states: 'states', sns: 'sns', secretsmanager: 'secretsmanager', servicequotas: 'servicequotas', mgn: 'mgn', scheduler: 'scheduler', events: 'events', cloudformation: 'cloudformation', iam: 'iam', monitoring: 'cloudwatch', ec2: 'ec2' };

function text(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return '';
}

/** The IAM action and resources of an SDK request to a stand-in (undefined: not a service call this checks). */
export function describeCall(request: WireRequest, region: string, accountId: string): { action: string; resources: string[]; protocol: Protocol } | undefined {
  const h = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(h.authorization ?? '')?.[1];
  const prefix = service ? PREFIX[service] : undefined;
  if (!prefix) return undefined;
  const body = text(request.body);
  const target = h['x-amz-target'];
  if (target) {
    const op = target.split('.').pop() as string;
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const resources: string[] = [];
    if (prefix === 'dynamodb' && typeof input.TableName === 'string') {
      resources.push(`arn:aws:dynamodb:${region}:${accountId}:table/${input.TableName}${typeof input.IndexName === 'string' ? `/index/${input.IndexName}` : ''}`);
    }
    if (prefix === 'states') {
      for (const k of ['stateMachineArn', 'executionArn']) if (typeof input[k] === 'string') resources.push(input[k] as string);
    }
    if (prefix === 'secretsmanager' && typeof input.SecretId === 'string') resources.push(input.SecretId);
    return { action: `${prefix}:${op}`, resources, protocol: 'json' };
  }
  if ((h['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const p = new URLSearchParams(body);
    const op = p.get('Action');
    if (!op) return undefined;
    const resources: string[] = [];
    const arn = p.get('TopicArn') ?? p.get('TargetArn') ?? p.get('PolicySourceArn');
    if (arn) resources.push(arn);
    const stack = p.get('StackName');
    if (prefix === 'cloudformation' && stack) resources.push(stack.startsWith('arn:') ? stack : `arn:aws:cloudformation:${region}:${accountId}:stack/${stack}/*`);
    const role = p.get('RoleName');
    if (prefix === 'iam' && role) resources.push(`arn:aws:iam::${accountId}:role/${role.startsWith('AWSApplicationMigration') ? 'service-role/' : ''}${role}`);
    // EC2 (its own query protocol): the launch template a call names
    const template = p.get('LaunchTemplateId');
    if (prefix === 'ec2' && template) resources.push(`arn:aws:ec2:${region}:${accountId}:launch-template/${template}`);
    return { action: `${prefix}:${op}`, resources, protocol: prefix === 'ec2' ? 'ec2' : 'query' };
  }
  if (prefix === 'scheduler') {
    const [collection, name] = request.path.split('?')[0]?.split('/').filter(Boolean) ?? [];
    if (collection !== 'schedules') return undefined;
    if (!name) return { action: 'scheduler:ListSchedules', resources: [], protocol: 'rest' };
    const input = body ? (JSON.parse(body) as { GroupName?: string }) : {};
    const group = input.GroupName ?? new URLSearchParams(request.path.split('?')[1] ?? '').get('groupName') ?? queryOf(request).groupName ?? 'default';
    const action = { GET: 'GetSchedule', POST: 'CreateSchedule', PUT: 'UpdateSchedule', DELETE: 'DeleteSchedule' }[request.method] ?? request.method;
    return { action: `scheduler:${action}`, resources: [`arn:aws:scheduler:${region}:${accountId}:schedule/${group}/${decodeURIComponent(name)}`], protocol: 'rest' };
  }
  if (prefix === 'mgn') {
    const op = request.path.split('/').filter(Boolean)[0];
    if (!op) return undefined;
    if (op === 'tags') {
      // MGN's tagging routes: /tags/{resourceArn}, the action by method, the resource the ARN itself
      const arn = decodeURIComponent(request.path.split('/').filter(Boolean).slice(1).join('/').split('?')[0] ?? '');
      const action = { GET: 'ListTagsForResource', POST: 'TagResource', DELETE: 'UntagResource' }[request.method] ?? request.method;
      return { action: `mgn:${action}`, resources: arn ? [arn] : [], protocol: 'rest' };
    }
    const ids = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'sourceServerID' && typeof x === 'string') ids.add(x);
          else if (k === 'sourceServerIDs' && Array.isArray(x)) {
            for (const id of x) if (typeof id === 'string') ids.add(id);
          } else walk(x);
        }
      }
    };
    // reads name servers in filters; IAM authorizes them on "*" (List/Describe actions have no resource)
    if (!/^(Describe|List|Get)/.test(op) && body) walk(JSON.parse(body));
    return { action: `mgn:${op}`, resources: [...ids].map((id) => `arn:aws:mgn:${region}:${accountId}:source-server/${id}`), protocol: 'rest' };
  }
  return undefined;
}

function queryOf(request: WireRequest): Record<string, string> {
  const q = (request as { query?: Record<string, string | string[] | null> }).query ?? {};
  return Object.fromEntries(Object.entries(q).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
}

function deniedResponse(protocol: Protocol, message: string): WireResponse {
  if (protocol === 'ec2') {
    // EC2's answer: UnauthorizedOperation, 403, in its own error document
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation. ${message.replace(/[<&>]/g, '')}</Message></Error></Errors><RequestID>local</RequestID></Response>`;
    return { statusCode: 403, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Buffer.from(xml) };
  }
  if (protocol === 'query') {
    const xml = `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>${message.replace(/[<&>]/g, '')}</Message></Error><RequestId>local</RequestId></ErrorResponse>`;
    return { statusCode: 403, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
  }
  const json = protocol === 'json' ? { __type: 'AccessDeniedException', message } : { message };
  return { statusCode: protocol === 'json' ? 400 : 403, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' }, body: Buffer.from(JSON.stringify(json)) };
}
