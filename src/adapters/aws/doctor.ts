import type { Wave } from '../../core/wave-file.ts';
import type { QuotaPort } from '../../ports.ts';

/**
 * `mgn-flow doctor`: is this account and stack ready for a wave? Each check says what it found and, when it
 * fails, how to fix it. The same calls on AWS and on the local cloud (its stand-ins answer STS, IAM,
 * CloudFormation, MGN, Service Quotas, SNS, Secrets Manager, Scheduler, CloudWatch and the HTTP API).
 */

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it (when it is not ok). */
  fix?: string;
}

/** What the checks read: the stack's resources (by the CLI's variable names) and where the target is. */
export interface DoctorInput {
  stack: string;
  stage: string;
  region: string;
  resources: Partial<Record<string, string>>;
  /** Output keys the stack must have, with the variable each gives. */
  expectedOutputs: readonly { output: string; variable: string }[];
  /** Outputs DescribeStacks answered (undefined: the stack was not found). */
  outputs?: Record<string, string>;
  stackError?: string;
  quotas: QuotaPort;
  now: Date;
  wave?: Wave;
  /** The wave file's problems (validation against MGN and its quotas), one a line. */
  waveProblems?: string[];
  fetch?: typeof fetch;
}

const errName = (err: unknown) => (err as Error).name;
const errText = (err: unknown) => `${errName(err)}: ${(err as Error).message}`;
const denied = (err: unknown) => /AccessDenied|AuthorizationError|UnauthorizedOperation/.test(errName(err));

async function check(id: string, title: string, run: () => Promise<Omit<CheckResult, 'id' | 'title'>>): Promise<CheckResult> {
  try {
    return { id, title, ...(await run()) };
  } catch (err) {
    return { id, title, status: 'fail', detail: errText(err), fix: denied(err) ? `allow the operator this call (docs/deploy.md: the operator policy)` : 'see the error; run again with MGN_FLOW_DEBUG=1 for the stack trace' };
  }
}

function skipped(id: string, title: string, why: string): CheckResult {
  return { id, title, status: 'skipped', detail: why };
}

export async function runDoctor(input: DoctorInput): Promise<CheckResult[]> {
  const r = input.resources;
  const results: CheckResult[] = [];

  // 1. credentials and region
  results.push(
    await check('credentials', 'credentials and region', async () => {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const sts = new STSClient({});
      try {
        const me = await sts.send(new GetCallerIdentityCommand({}));
        return { status: 'ok', detail: `account ${me.Account} as ${me.Arn}, region ${input.region}` };
      } catch (err) {
        return { status: 'fail', detail: errText(err), fix: 'give --profile <name> and --region <region> (or set AWS_PROFILE and AWS_REGION) for credentials that work: `aws sts get-caller-identity` must answer; renew an expired session (aws sso login)' };
      } finally {
        sts.destroy();
      }
    }),
  );
  if (results[0]?.status === 'fail') {
    for (const [id, title] of CHECKS.slice(1)) results.push(skipped(id, title, 'needs working credentials'));
    return results;
  }

  // 2. the stack's outputs
  results.push(
    await check('stack', `stack ${input.stack} and its outputs`, async () => {
      if (!input.outputs) return { status: 'fail', detail: input.stackError ?? `no stack ${input.stack}`, fix: `deploy it: npx osls deploy --stage ${input.stage} --region ${input.region} (docs/deploy.md)` };
      const missing = input.expectedOutputs.filter((o) => !input.outputs?.[o.output]);
      if (missing.length) {
        return { status: 'fail', detail: `missing output(s) ${missing.map((o) => o.output).join(', ')}`, fix: `deploy this version of mgn-flow to the stage again (npx osls deploy --stage ${input.stage} --region ${input.region}), or set ${missing.map((o) => o.variable).join(', ')}` };
      }
      return { status: 'ok', detail: `${input.expectedOutputs.length} outputs` };
    }),
  );

  // 3. MGN initialized: its templates and service roles
  results.push(
    await check('mgn', 'MGN initialized in this region (templates, service roles)', async () => {
      const { MgnClient, DescribeReplicationConfigurationTemplatesCommand, DescribeLaunchConfigurationTemplatesCommand } = await import('@aws-sdk/client-mgn');
      const { IAMClient, GetRoleCommand } = await import('@aws-sdk/client-iam');
      const fix = `initialize Application Migration Service in ${input.region}: its console's "Set up service", or aws mgn initialize-service --region ${input.region}`;
      const mgn = new MgnClient({});
      const iam = new IAMClient({});
      try {
        let replication: number;
        let launch: number;
        try {
          replication = (await mgn.send(new DescribeReplicationConfigurationTemplatesCommand({}))).items?.length ?? 0;
          launch = (await mgn.send(new DescribeLaunchConfigurationTemplatesCommand({}))).items?.length ?? 0;
        } catch (err) {
          if (errName(err) === 'UninitializedAccountException') return { status: 'fail', detail: 'MGN is not initialized in this region', fix };
          throw err;
        }
        if (replication === 0 || launch === 0) return { status: 'fail', detail: `${replication} replication and ${launch} launch configuration template(s)`, fix };
        const { MGN_SERVICE_ROLE_NAMES } = await import('./doctor-roles.ts');
        const missingRoles: string[] = [];
        for (const name of MGN_SERVICE_ROLE_NAMES) {
          try {
            await iam.send(new GetRoleCommand({ RoleName: name }));
          } catch (err) {
            if (errName(err) === 'NoSuchEntityException' || errName(err) === 'NoSuchEntity') missingRoles.push(name);
            else if (denied(err)) return { status: 'warn', detail: 'templates present; the service roles could not be read (iam:GetRole denied)', fix: 'allow the operator iam:GetRole on role/service-role/AWSApplicationMigration* (docs/deploy.md)' };
            else throw err;
          }
        }
        if (missingRoles.length) return { status: 'fail', detail: `missing service role(s) ${missingRoles.join(', ')}`, fix };
        return { status: 'ok', detail: `${replication} replication and ${launch} launch configuration template(s); service roles present` };
      } finally {
        mgn.destroy();
        iam.destroy();
      }
    }),
  );

  // 4. quotas, and the wave within them
  results.push(
    await check('quotas', input.wave ? `MGN quotas, and wave ${input.wave.name} within them` : 'MGN quotas readable', async () => {
      const limits = await input.quotas.mgnLimits();
      const quotaText = `replicating servers ${limits.replicatingServers}, servers per application ${limits.serversPerApplication ?? '?'}`;
      if (input.waveProblems?.length) {
        return { status: 'fail', detail: `${quotaText}; the wave file: ${input.waveProblems.join('; ')}`, fix: 'split the wave or ask for a quota increase (Service Quotas console, service "AWS Application Migration Service"); fix what the wave file says' };
      }
      if (input.wave) {
        const servers = input.wave.applications.reduce((n, a) => n + a.servers.length, 0);
        return { status: 'ok', detail: `${quotaText}; the wave has ${servers} server(s)` };
      }
      return { status: 'ok', detail: quotaText };
    }),
  );

  // 5. subscriptions confirmed for the people the wave names (ops: someone at all)
  results.push(
    r.OPS_TOPIC_ARN
      ? await check('subscriptions', input.wave ? 'ops and the wave\'s approvers subscribed and confirmed' : 'ops subscribed and confirmed', async () => {
          const { confirmedEmails } = await import('./doctor-roles.ts');
          const ops = await confirmedEmails(String(r.OPS_TOPIC_ARN));
          const problems: string[] = [];
          const fixes: string[] = [];
          if (ops.confirmed.length === 0) {
            problems.push(`no confirmed subscription on the ops topic${ops.pending.length ? ` (pending: ${ops.pending.join(', ')})` : ''}`);
            fixes.push('deploy with --param="opsEmails=you@example.com" and click "Confirm subscription" in the e-mail from AWS Notifications');
          }
          const wanted = input.wave ? [...new Set(Object.values(input.wave.approvers ?? {}).flat())] : [];
          if (wanted.length) {
            const approvals = r.APPROVAL_TOPIC_ARN ? await confirmedEmails(String(r.APPROVAL_TOPIC_ARN)) : { confirmed: [], pending: [] };
            const lower = new Set(approvals.confirmed.map((e) => e.toLowerCase()));
            const missing = wanted.filter((e) => !lower.has(e.toLowerCase()));
            if (missing.length) {
              problems.push(`the wave names approver(s) with no confirmed subscription to the approvals topic: ${missing.join(', ')}`);
              fixes.push(`add them to approverEmails and deploy (npx osls deploy --stage ${input.stage} --param="approverEmails=..."), then each clicks "Confirm subscription" in the e-mail from AWS Notifications`);
            }
          }
          if (problems.length) return { status: 'fail', detail: problems.join('; '), fix: fixes.join('; ') };
          return { status: 'ok', detail: `ops: ${ops.confirmed.length} confirmed${wanted.length ? `; approvers: ${wanted.join(', ')} confirmed` : ''}` };
        })
      : skipped('subscriptions', 'subscriptions', 'needs the ops topic (stack output OpsTopicArn)'),
  );

  // 6. the signing secret
  results.push(
    r.SIGNING_SECRET_ARN
      ? await check('signing-secret', 'approval link signing secret', async () => {
          const { SecretsManagerClient, DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
          const sm = new SecretsManagerClient({});
          try {
            const d = await sm.send(new DescribeSecretCommand({ SecretId: String(r.SIGNING_SECRET_ARN) }));
            if (d.DeletedDate) return { status: 'fail', detail: `scheduled for deletion on ${d.DeletedDate.toISOString()}`, fix: `restore it: aws secretsmanager restore-secret --secret-id ${d.ARN}` };
            const current = Object.values(d.VersionIdsToStages ?? {}).some((stages) => stages.includes('AWSCURRENT'));
            if (!current) return { status: 'fail', detail: 'the secret has no current value', fix: 'put a value: aws secretsmanager put-secret-value --secret-id <arn> --secret-string "$(openssl rand -hex 32)"' };
            return { status: 'ok', detail: `${d.Name}, current value present` };
          } catch (err) {
            if (errName(err) === 'ResourceNotFoundException') return { status: 'fail', detail: `no secret ${r.SIGNING_SECRET_ARN}`, fix: 'deploy the stack again (it creates the secret), or unset SIGNING_SECRET_ARN if it points elsewhere' };
            throw err;
          } finally {
            sm.destroy();
          }
        })
      : skipped('signing-secret', 'approval link signing secret', 'needs the stack output SigningSecretArn'),
  );

  // 7. the reconciler: its schedule enabled, and run recently
  results.push(
    r.SCHEDULE_GROUP && r.RECONCILE_FUNCTION_ARN
      ? await check('reconciler', 'reconciler schedule enabled and run recently', async () => {
          const { SchedulerClient, ListSchedulesCommand, GetScheduleCommand } = await import('@aws-sdk/client-scheduler');
          const { CloudWatchClient, GetMetricStatisticsCommand } = await import('@aws-sdk/client-cloudwatch');
          const scheduler = new SchedulerClient({});
          const cw = new CloudWatchClient({});
          try {
            const fn = String(r.RECONCILE_FUNCTION_ARN);
            let found;
            let token: string | undefined;
            do {
              const page = await scheduler.send(new ListSchedulesCommand({ GroupName: r.SCHEDULE_GROUP, ...(token ? { NextToken: token } : {}) }));
              found = (page.Schedules ?? []).find((s) => s.Target?.Arn === fn) ?? found;
              token = page.NextToken;
            } while (token && !found);
            if (!found) return { status: 'fail', detail: `no schedule in group ${r.SCHEDULE_GROUP} runs ${fn}`, fix: `deploy the stack again (it creates the schedule): npx osls deploy --stage ${input.stage}` };
            const s = await scheduler.send(new GetScheduleCommand({ Name: String(found.Name), GroupName: r.SCHEDULE_GROUP }));
            if (s.State !== 'ENABLED') return { status: 'fail', detail: `schedule ${found.Name} is ${s.State}: nothing resolves the waits events miss`, fix: `enable it: aws scheduler update-schedule ... --state ENABLED (or deploy the stack again)` };
            const windowMs = 15 * 60_000;
            const to = input.now;
            const from = new Date(to.getTime() - windowMs);
            const name = fn.split(':').pop() as string;
            const stats = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: name }], StartTime: from, EndTime: to, Period: 300, Statistics: ['Sum'] }));
            const runs = (stats.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
            if (runs > 0) return { status: 'ok', detail: `${found.Name} enabled (${s.ScheduleExpression}); ${runs} run(s) in the last 15 minutes` };
            const created = s.CreationDate?.getTime() ?? 0;
            if (to.getTime() - created < windowMs) return { status: 'ok', detail: `${found.Name} enabled (${s.ScheduleExpression}); created ${Math.round((to.getTime() - created) / 60_000)} minute(s) ago, first run due` };
            return { status: 'fail', detail: `${found.Name} is enabled but ${name} has not run in the last 15 minutes`, fix: `look at the schedule's dead-letter queue and the function's log group /aws/lambda/${name} (its Errors alarm); check the scheduler role may invoke it` };
          } finally {
            scheduler.destroy();
            cw.destroy();
          }
        })
      : skipped('reconciler', 'reconciler schedule', 'needs the stack outputs ScheduleGroupName and ReconcileFunctionArn'),
  );

  // 8. the approval API answers
  results.push(
    r.APPROVAL_BASE_URL
      ? await check('approval-api', 'approval pages reachable', async () => {
          const url = `${r.APPROVAL_BASE_URL}/approvals/doctor-check`;
          const f = input.fetch ?? fetch;
          let status: number;
          try {
            status = (await f(url, { signal: AbortSignal.timeout(10_000) })).status;
          } catch (err) {
            return { status: 'fail', detail: `${url}: ${(err as Error).message}`, fix: 'check the HTTP API exists and is reachable from where approvers open their links (custom domain, WAF rules, network); APPROVAL_BASE_URL overrides the stack output' };
          }
          // an unknown link is the page's own refusal (4xx): the API, the route and the function answer
          if (status >= 500) return { status: 'fail', detail: `${url} answered ${status}`, fix: 'see the approvalPage function\'s log group and its Errors alarm' };
          return { status: 'ok', detail: `${r.APPROVAL_BASE_URL} answers (${status} for an unknown link)` };
        })
      : skipped('approval-api', 'approval pages reachable', 'needs the stack output ApprovalApiUrl'),
  );

  // 9. the launching roles may launch
  results.push(
    r.LAUNCHER_ROLE_ARNS
      ? await check('launch-permissions', "launching roles allowed MGN's launch actions", async () => {
          const { IAMClient, SimulatePrincipalPolicyCommand } = await import('@aws-sdk/client-iam');
          const iam = new IAMClient({});
          const account = String(r.LAUNCHER_ROLE_ARNS).split(':')[4];
          const actions = ['mgn:StartTest', 'mgn:StartCutover'];
          const resource = `arn:aws:mgn:${input.region}:${account}:source-server/*`;
          try {
            const refused: string[] = [];
            for (const role of String(r.LAUNCHER_ROLE_ARNS).split(',').filter(Boolean)) {
              let out;
              try {
                out = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: role, ActionNames: actions, ResourceArns: [resource] }));
              } catch (err) {
                if (denied(err)) return { status: 'warn', detail: 'could not simulate (iam:SimulatePrincipalPolicy denied)', fix: 'allow the operator iam:SimulatePrincipalPolicy on the stack\'s roles (docs/deploy.md), or check the roles in the IAM policy simulator' };
                throw err;
              }
              for (const e of out.EvaluationResults ?? []) if (e.EvalDecision !== 'allowed') refused.push(`${role.split('/').pop()}: ${e.EvalActionName} ${e.EvalDecision}`);
            }
            if (refused.length) return { status: 'fail', detail: refused.join('; '), fix: 'deploy this version again (deploy/iam.ts generates the roles), and look for a permissions boundary or SCP that denies MGN launch actions' };
            return { status: 'ok', detail: `${actions.join(', ')} allowed on source servers` };
          } finally {
            iam.destroy();
          }
        })
      : skipped('launch-permissions', "launching roles allowed MGN's launch actions", 'needs the stack output LauncherRoleArns'),
  );
  return results;
}

export const CHECKS: readonly (readonly [string, string])[] = [
  ['credentials', 'credentials and region'],
  ['stack', 'stack and its outputs'],
  ['mgn', 'MGN initialized in this region (templates, service roles)'],
  ['quotas', 'MGN quotas'],
  ['subscriptions', 'subscriptions'],
  ['signing-secret', 'approval link signing secret'],
  ['reconciler', 'reconciler schedule'],
  ['approval-api', 'approval pages reachable'],
  ['launch-permissions', "launching roles allowed MGN's launch actions"],
];
