import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPENDENT, roleLogicalId, usesInSource } from '../../deploy/iam.ts';
import { functionLogicalId, readServerlessConfig } from '../../src/local/cloud/serverless-config.ts';
import { adapterActions } from './adapter-commands.ts';
import { STACK_OUTPUTS } from '../../src/cli/stack.ts';

/**
 * `npm run package` (osls package, offline, no credentials) and the CloudFormation template it writes: every
 * function, machine, rule, table and topic of serverless.yml is there; each rule's pattern is its events/
 * file; every Task's Lambda resolves; each function's role grants exactly the actions of the SDK commands its
 * declared ports' adapters send (read from the adapter source), plus what AWS needs behind them; no "*".
 */

type Json = Record<string, unknown>;
const root = resolve(import.meta.dirname, '../..');
const OUT = resolve(root, '.serverless');
const TEMPLATE = resolve(OUT, 'cloudformation-template-update-stack.json');
const config = readServerlessConfig(root);
const rawYml = parse(readFileSync(resolve(root, 'serverless.yml'), 'utf8')) as Json;
const functionKeys = Object.keys(config.functions).sort();

let template: { Resources: Record<string, { Type: string; Properties: Json; DependsOn?: unknown }>; Outputs: Record<string, { Value: unknown }> };
const resources = () => Object.entries(template.Resources);
const ofType = (type: string) => resources().filter(([, r]) => r.Type === type);

/** Every object in a JSON value, depth first. */
function objects(value: unknown): Json[] {
  if (Array.isArray(value)) return value.flatMap(objects);
  if (value === null || typeof value !== 'object') return [];
  return [value as Json, ...Object.values(value).flatMap(objects)];
}
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

beforeAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  // offline: no credentials, no network; the stage and region are given so nothing is looked up
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  try {
    execFileSync(process.execPath, [resolve(root, 'node_modules/osls/bin/serverless.js'), 'package', '--stage', 'dev', '--region', 'us-east-1'], { cwd: root, env, stdio: 'pipe', timeout: 600_000 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`osls package failed:\n${String(e.stdout ?? '')}${String(e.stderr ?? '')}`.slice(0, 4000), { cause: err });
  }
  template = JSON.parse(readFileSync(TEMPLATE, 'utf8')) as typeof template;
}, 600_000);

describe('npm run package', () => {
  it('writes the template and one zip per function to .serverless/', () => {
    expect(existsSync(TEMPLATE)).toBe(true);
    for (const key of functionKeys) expect(existsSync(resolve(OUT, `${key}.zip`)), `${key}.zip`).toBe(true);
  });
});

describe('functions', () => {
  it.each(functionKeys)('%s: is in the template on nodejs22.x, arm64, with its own role', (key) => {
    const fn = template.Resources[functionLogicalId(key)];
    expect(fn?.Type).toBe('AWS::Lambda::Function');
    expect(fn?.Properties.Runtime).toBe('nodejs22.x');
    expect(fn?.Properties.Architectures).toEqual(['arm64']);
    expect(fn?.Properties.Role).toEqual({ 'Fn::GetAtt': [roleLogicalId(key), 'Arn'] });
    expect(fn?.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('has no shared execution role', () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it.each(functionKeys)('%s: has an alarm on its errors to the ops topic', (key) => {
    const alarm = ofType('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.MetricName === 'Errors' && JSON.stringify(a.Properties.Dimensions).includes(functionLogicalId(key)));
    expect(alarm?.[1].Properties.AlarmActions).toEqual([{ Ref: 'OpsTopic' }]);
  });
});

describe('roles: exactly what the declared ports send', () => {
  const fromAdapters = adapterActions();
  const RUNTIME = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

  it('knows what the adapters send', () => {
    expect(fromAdapters['mgn.startCutover']).toEqual(['mgn:StartCutover']);
    expect(fromAdapters.waits).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
  });

  it.each(functionKeys)('%s: the role grants the actions of its ports, none missing, none extra', async (key) => {
    const file = `${config.functions[key]?.handler.replace(/\.[^./]+$/, '')}.ts`;
    const uses = usesInSource(readFileSync(resolve(root, file), 'utf8'), file);
    // the literal the plugin reads is the declaration the handler enforces
    const mod = (await import(pathToFileURL(resolve(root, file)).href)) as { handler: { spec?: { uses: string[] } } };
    if (mod.handler.spec) expect(mod.handler.spec.uses).toEqual(uses);
    for (const u of uses) expect(fromAdapters, `${key} uses '${u}', which createDeps does not build`).toHaveProperty([u]);
    const commands = new Set(uses.flatMap((u) => fromAdapters[u] ?? []));
    const dependent = [...commands].flatMap((a) => (DEPENDENT[a] ?? []).flatMap((s) => s.Action));
    const expected = [...new Set([...commands, ...dependent, ...RUNTIME])].sort();

    const role = template.Resources[roleLogicalId(key)];
    expect(role?.Type).toBe('AWS::IAM::Role');
    const statements = arr(role?.Properties.Policies as Json[]).flatMap((p) => arr((p.PolicyDocument as Json).Statement as Json[]));
    const actual = [...new Set(statements.flatMap((s) => arr(s.Action as string | string[])))].sort();
    expect(actual).toEqual(expected);
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('gives EC2 and iam:PassRole only to the functions that launch, terminate or change launch settings, PassRole only to EC2', () => {
    for (const key of functionKeys) {
      const statements = objects(template.Resources[roleLogicalId(key)]?.Properties.Policies).filter((o) => 'Action' in o && 'Effect' in o);
      const actions = statements.flatMap((s) => arr(s.Action as string[]));
      const launches = actions.some((a) => ['mgn:StartTest', 'mgn:StartCutover', 'mgn:TerminateTargetInstances'].includes(a));
      // UpdateLaunchConfiguration writes the MGN-owned launch template: launch-template actions only, no PassRole
      const settings = actions.includes('mgn:UpdateLaunchConfiguration');
      expect(actions.some((a) => a.startsWith('ec2:') || a.startsWith('iam:')), key).toBe(launches || settings);
      if (settings && !launches) expect(actions.filter((a) => a.startsWith('ec2:') || a.startsWith('iam:')).every((a) => /^ec2:\w*LaunchTemplate/.test(a)), key).toBe(true);
      for (const s of statements.filter((s) => arr(s.Action as string[]).includes('iam:PassRole'))) {
        expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
      }
    }
  });

  it('has no "*" action and no service-wide wildcard in any IAM role or policy', () => {
    const iam = [...ofType('AWS::IAM::Role'), ...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')];
    expect(iam.length).toBeGreaterThan(functionKeys.length);
    const bad = iam.flatMap(([id, r]) =>
      objects(r.Properties)
        .filter((o) => 'Action' in o && 'Effect' in o)
        .flatMap((s) => arr(s.Action as string | string[]))
        .filter((a) => a === '*' || /^[\w-]+:\*$/.test(a))
        .map((a) => `${id}: ${a}`),
    );
    expect(bad).toEqual([]);
  });
});

describe('state machines', () => {
  const machines = Object.entries(config.stateMachines);

  it.each(machines.map(([id, m]) => [id, m.name]))('%s: is in the template with logging (no execution data) and tracing', (_id, name) => {
    const found = ofType('AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties.StateMachineName === name);
    expect(found, `${name}`).toBeDefined();
    const p = found?.[1].Properties as Json;
    const logging = p.LoggingConfiguration as Json;
    expect(['ERROR', 'ALL']).toContain(logging.Level);
    expect(logging.IncludeExecutionData).toBe(false);
    expect(p.TracingConfiguration).toEqual({ Enabled: true });
  });

  it.each(machines.map(([id, m]) => [id, m.name]))('%s: every Task Lambda reference resolves to a function of the template', (_id, name) => {
    const found = ofType('AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties.StateMachineName === name);
    const sub = (found?.[1].Properties.DefinitionString as Json)['Fn::Sub'] as [string, Record<string, unknown>];
    const definition = JSON.parse(sub[0].replace(/"\$\{(\w+)\}"/g, '"$1"')) as Json;
    const ids = new Set(ofType('AWS::Lambda::Function').map(([id]) => id));
    const refs = objects(definition.States)
      .filter((s) => s.Type === 'Task')
      .map((s) => (typeof s.Resource === 'string' && s.Resource.startsWith('arn:aws:states:::lambda:invoke') ? (s.Parameters as Json)?.FunctionName : s.Resource));
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const variable = sub[1][String(ref)] as Json | undefined;
      expect(variable, `${String(ref)}`).toBeDefined();
      const target = (variable?.['Fn::GetAtt'] as string[] | undefined)?.[0] ?? (variable?.Ref as string | undefined);
      expect(ids.has(String(target)), `${String(ref)} -> ${String(target)}`).toBe(true);
    }
  });

  it.each(machines.map(([id, m]) => [id, m.name]))('%s: alarms on failed, timed out and aborted executions to the ops topic', (_id, name) => {
    const found = ofType('AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties.StateMachineName === name);
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.Namespace === 'AWS/States' && JSON.stringify(a.Properties.Dimensions).includes(String(found?.[0])));
    expect(alarms.map(([, a]) => a.Properties.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: 'OpsTopic' }]);
  });
});

describe('events, schedules, dead letters', () => {
  const rules = () => ofType('AWS::Events::Rule');
  const patternRefs = Object.entries((rawYml.functions ?? {}) as Record<string, { events?: Json[] }>).flatMap(([key, f]) =>
    (f.events ?? []).flatMap((e) => {
      const ref = /^\$\{file\(\.\/(events\/.+?)\)\}$/.exec(String((e.eventBridge as Json | undefined)?.pattern ?? ''))?.[1];
      return ref ? [{ key, file: ref }] : [];
    }),
  );

  it.each(patternRefs.map((p) => [p.key, p.file]))('%s: a rule whose EventPattern is %s', (key, file) => {
    const pattern = JSON.parse(readFileSync(resolve(root, file), 'utf8')) as unknown;
    const match = rules().filter(([, r]) => JSON.stringify(r.Properties.Targets).includes(functionLogicalId(key)) && JSON.stringify(r.Properties.EventPattern) === JSON.stringify(pattern));
    expect(match.length, `no rule for ${file} targets ${key}`).toBe(1);
    expect(match[0]?.[1].Properties.EventPattern).toEqual(pattern);
  });

  it('gives every rule target and schedule target a retry policy and the dead-letter queue', () => {
    const targets = [...rules().flatMap(([, r]) => arr(r.Properties.Targets as Json[])), ...ofType('AWS::Scheduler::Schedule').map(([, s]) => s.Properties.Target as Json)];
    expect(targets.length).toBeGreaterThan(patternRefs.length);
    for (const t of targets) {
      expect(t.RetryPolicy).toMatchObject({ MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) });
      expect(t.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } });
    }
  });

  it('runs the reconciler on an EventBridge Scheduler schedule and alarms when it does not run for 15 minutes', () => {
    const schedules = ofType('AWS::Scheduler::Schedule').filter(([, s]) => JSON.stringify(s.Properties.Target).includes('ReconcileLambdaFunction'));
    expect(schedules).toHaveLength(1);
    const alarm = template.Resources.ReconcilerNotRunningAlarm?.Properties as Json;
    expect(alarm).toMatchObject({ MetricName: 'Invocations', Period: 900, Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
  });

  it('alarms on dead-letter queue depth', () => {
    const alarm = ofType('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.Namespace === 'AWS/SQS');
    expect(JSON.stringify(alarm?.[1].Properties.Dimensions)).toContain('EventsDeadLetterQueue');
  });
});

describe('tables and topics', () => {
  it.each(Object.entries(config.resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table').map(([id]) => id))('%s: PITR, TTL and KMS encryption', (id) => {
    const p = template.Resources[id]?.Properties as Json;
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(p.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
  });

  it.each(Object.entries(config.resources).filter(([, r]) => r.Type === 'AWS::SNS::Topic').map(([id]) => id))('%s: encrypted with the customer-managed key', (id) => {
    expect(template.Resources[id]?.Properties.KmsMasterKeyId).toEqual({ Ref: 'TopicsKey' });
  });

  it('lets CloudWatch and EventBridge use the topics key', () => {
    const policy = template.Resources.TopicsKey?.Properties.KeyPolicy as Json;
    const services = objects(policy).flatMap((o) => arr((o.Principal as Json | undefined)?.Service as string[] | undefined));
    expect(services).toEqual(expect.arrayContaining(['cloudwatch.amazonaws.com', 'events.amazonaws.com']));
  });
});

describe('the approval API and the dashboard', () => {
  it('throttles the approval pages at the stage (custom.mgnFlow approvalApiRateLimit / approvalApiBurstLimit)', () => {
    expect(template.Resources.HttpApiStage?.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
  });

  it('has the metrics dashboard, its body joined from the stack\'s own resources', () => {
    const d = template.Resources.MetricsDashboard;
    expect(d?.Type).toBe('AWS::CloudWatch::Dashboard');
    const parts = ((d?.Properties.DashboardBody as Json)['Fn::Join'] as [string, unknown[]])[1];
    const body = parts.map((p) => (typeof p === 'string' ? p : 'x')).join('');
    expect((JSON.parse(body) as { widgets: unknown[] }).widgets.length).toBeGreaterThan(5);
    expect(body).toContain('"mgn-flow-dev"');
  });
});

describe('outputs: what the CLI finds through DescribeStacks', () => {
  it.each(STACK_OUTPUTS.map((o) => [o.output, o.variable]))('%s (%s) is an output of the template, naming a resource of it', (output) => {
    const value = template.Outputs[output]?.Value;
    expect(value, output).toBeDefined();
    const ids = objects(value).flatMap((o) => [o.Ref, (o['Fn::GetAtt'] as string[] | undefined)?.[0]]).filter((id): id is string => typeof id === 'string' && !id.startsWith('AWS::'));
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(template.Resources[id], `${output} -> ${id}`).toBeDefined();
  });
});

describe('cfn-lint', () => {
  const has = spawnSync('sh', ['-c', 'command -v cfn-lint'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!has)('finds nothing in the packaged template (skipped where cfn-lint is not installed: it cannot be installed offline)', () => {
    const r = spawnSync('cfn-lint', ['--format', 'parseable', TEMPLATE], { encoding: 'utf8', timeout: 120_000 });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
