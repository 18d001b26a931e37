import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { AwsError, type LocalRequest, type LocalService, header } from '../protocol.ts';
import { escapeXml } from '../sns/query.ts';
import type { LocalIam } from '../iam/index.ts';

/**
 * The account's identity stand-ins (awsQuery, as `@aws-sdk/client-sts` and `@aws-sdk/client-iam` speak it),
 * for what `mgn-flow doctor` and the CLI ask: STS GetCallerIdentity (the local caller), IAM GetRole (MGN's
 * service roles, present once MGN is initialized, and the stack's function roles) and IAM
 * SimulatePrincipalPolicy, evaluated on the local IAM's generated role policies (src/local/cloud/iam).
 */

const STS_VERSION = '2011-06-15';
const IAM_VERSION = '2010-05-08';

function signingService(req: LocalRequest): string | undefined {
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(header(req, 'authorization') ?? '')?.[1];
}

function queryService(name: string, version: string, xmlns: string, operations: Record<string, (p: URLSearchParams) => string>, fault?: () => AwsError | undefined): LocalService {
  return {
    name,
    matches(req) {
      if (req.method !== 'POST' || !(header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return false;
      const service = signingService(req);
      if (service !== undefined && service !== name) return false;
      return new URLSearchParams(req.body.toString('utf8')).get('Version') === version;
    },
    handle(req: LocalRequest, res: ServerResponse) {
      const p = new URLSearchParams(req.body.toString('utf8'));
      const action = p.get('Action') ?? '';
      const requestId = randomUUID();
      try {
        const injected = fault?.();
        if (injected) throw injected;
        const op = operations[action];
        if (!op) throw new AwsError('InvalidAction', `The action ${action || '(none)'} is not valid for this endpoint (local ${name}).`, 400);
        const body = `<${action}Response xmlns="${xmlns}"><${action}Result>${op(p)}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
        res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
        res.end(body);
      } catch (err) {
        const e = err instanceof AwsError ? err : new AwsError('InternalFailure', (err as Error).message, 500);
        const body = `<ErrorResponse xmlns="${xmlns}"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(e.type)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
        res.writeHead(e.status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
        res.end(body);
      }
      return Promise.resolve();
    },
  };
}

/** MGN's service roles, which InitializeService creates. */
export const MGN_SERVICE_ROLES = ['AWSApplicationMigrationConversionServerRole', 'AWSApplicationMigrationLaunchInstanceWithDrsRole', 'AWSApplicationMigrationLaunchInstanceWithSsmRole'];

export interface LocalAccount {
  sts: LocalService;
  iam: LocalService;
  /** Tests: make STS refuse every call with this error (expired or missing credentials). */
  failCredentials(error?: { code: string; message: string }): void;
}

export function createAccount(opts: { accountId: string; region: string; iam: LocalIam; mgnInitialized: () => boolean }): LocalAccount {
  let credentialsFault: AwsError | undefined;
  const sts = queryService('sts', STS_VERSION, 'https://sts.amazonaws.com/doc/2011-06-15/', {
    GetCallerIdentity: () => `<UserId>AIDALOCALOPERATOR</UserId><Account>${opts.accountId}</Account><Arn>arn:aws:iam::${opts.accountId}:user/local-operator</Arn>`,
  }, () => credentialsFault);

  const role = (name: string, arn: string) => `<Role><Path>${arn.includes('/service-role/') ? '/service-role/' : '/'}</Path><RoleName>${escapeXml(name)}</RoleName><RoleId>AROALOCAL${name.length}</RoleId><Arn>${escapeXml(arn)}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role>`;
  const iam = queryService('iam', IAM_VERSION, 'https://iam.amazonaws.com/doc/2010-05-08/', {
    GetRole: (p) => {
      const name = p.get('RoleName') ?? '';
      if (MGN_SERVICE_ROLES.includes(name) && opts.mgnInitialized()) return role(name, `arn:aws:iam::${opts.accountId}:role/service-role/${name}`);
      for (const arn of opts.iam.roleArns.values()) if (arn.endsWith(`/${name}`)) return role(name, arn);
      throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    },
    SimulatePrincipalPolicy: (p) => {
      const source = p.get('PolicySourceArn') ?? '';
      const fn = opts.iam.functionOfRole(source);
      if (!fn) throw new AwsError('NoSuchEntity', `Role ${source} cannot be found.`, 404);
      const list = (prefix: string) => [...p.entries()].filter(([k]) => k.startsWith(`${prefix}.member.`)).map(([, v]) => v);
      const actions = list('ActionNames');
      const resources = list('ResourceArns');
      const results = actions
        .map((action) => {
          const targets = resources.length ? resources : ['*'];
          const allowed = targets.every((r) => opts.iam.check(fn, action, r === '*' ? undefined : r));
          return `<member><EvalActionName>${escapeXml(action)}</EvalActionName><EvalResourceName>${escapeXml(targets.join(','))}</EvalResourceName><EvalDecision>${allowed ? 'allowed' : 'implicitDeny'}</EvalDecision></member>`;
        })
        .join('');
      return `<EvaluationResults>${results}</EvaluationResults><IsTruncated>false</IsTruncated>`;
    },
  });
  return {
    sts,
    iam,
    failCredentials: (error) => {
      credentialsFault = error ? new AwsError(error.code, error.message, 403) : undefined;
    },
  };
}
