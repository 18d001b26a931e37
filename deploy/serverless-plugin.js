// @ts-check
/**
 * mgn-flow's own osls plugin (docs/adr/0005-deploy-and-iam.md). At `osls package`:
 * - one IAM role per function, built by deploy/iam.ts from the `uses` its handler declares (the declaration
 *   functions/_lib/runtime.ts enforces at run time), set as the function's `role`, so osls makes no shared role;
 * - every EventBridge rule target and Scheduler schedule target gets the retry policy and the dead-letter queue
 *   of `custom.mgnFlow` when it has none (osls cannot set them on `schedule` events);
 * - every function gets an alarm on its Errors to the alarm topic;
 * - every state machine gets logging (level from `custom.mgnFlow.stateMachineLogLevel`, never the execution
 *   data: task tokens and inputs stay out of the logs), X-Ray tracing, and alarms on failed, timed out and
 *   aborted executions, unless serverless.yml sets them;
 * - the approval pages' HTTP API stage is throttled (`custom.mgnFlow.approvalApiRateLimit` requests per second,
 *   `approvalApiBurstLimit` burst): approvers are a handful of people, a flood is not;
 * - e-mail subscriptions from stage parameters: `custom.mgnFlow.opsEmails` (comma-separated) to the ops topic,
 *   `custom.mgnFlow.approverEmails` to the approvals topic, each approver filtered to their own links and to
 *   the gates that name nobody (`{"approver": [address, "any"]}`).
 * The local cloud never loads plugins: it reads the same serverless.yml and ignores all of this.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

/** 'a@x.com, b@y.com' -> ['a@x.com', 'b@y.com']; '' -> []. */
const emails = (v) => String(v ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
const pascal = (key) => `${key.charAt(0).toUpperCase()}${key.slice(1)}`;

export default class MgnFlowDeploy {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:package:setupProviderConfiguration': () => this.roles(),
      'before:package:finalize': () => this.finalize(),
    };
  }

  settings() {
    const s = this.serverless.service.custom?.mgnFlow ?? {};
    return {
      alarmTopic: s.alarmTopic ?? 'OpsTopic',
      deadLetterQueue: s.deadLetterQueue ?? 'EventsDeadLetterQueue',
      maximumRetryAttempts: Number(s.maximumRetryAttempts ?? 20),
      maximumEventAgeInSeconds: Number(s.maximumEventAgeInSeconds ?? 3600),
      stateMachineLogGroup: s.stateMachineLogGroup ?? 'StateMachineLogGroup',
      stateMachineLogLevel: s.stateMachineLogLevel || 'ERROR',
      approvalApiRateLimit: Number(s.approvalApiRateLimit ?? 10),
      approvalApiBurstLimit: Number(s.approvalApiBurstLimit ?? 20),
      opsEmails: emails(s.opsEmails),
      approverEmails: emails(s.approverEmails),
    };
  }

  async roles() {
    const iam = await tsImport('./iam.ts', import.meta.url);
    const service = this.serverless.service;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    for (const key of service.getAllFunctions()) {
      const fn = service.getFunction(key);
      const file = `${String(fn.handler).replace(/\.[^./]+$/, '')}.ts`;
      const uses = iam.usesInSource(readFileSync(join(this.serverless.serviceDir, file), 'utf8'), file);
      const logicalId = iam.roleLogicalId(key);
      resources[logicalId] = iam.roleResource({ key, name: fn.name, uses });
      fn.role = logicalId;
    }
    const { stateMachineLogGroup, stateMachineLogLevel, alarmTopic } = this.settings();
    for (const machine of Object.values(service.stepFunctions?.stateMachines ?? {})) {
      machine.loggingConfig ??= { level: stateMachineLogLevel, includeExecutionData: false, destinations: [{ 'Fn::GetAtt': [stateMachineLogGroup, 'Arn'] }] };
      machine.tracingConfig ??= { enabled: true };
      machine.alarms ??= {
        topics: { alarm: { Ref: alarmTopic } },
        metrics: ['executionsFailed', 'executionsTimedOut', 'executionsAborted'],
        treatMissingData: 'notBreaching',
      };
    }
  }

  finalize() {
    const { alarmTopic, deadLetterQueue, maximumRetryAttempts, maximumEventAgeInSeconds } = this.settings();
    const service = this.serverless.service;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const dlqArn = { 'Fn::GetAtt': [deadLetterQueue, 'Arn'] };
    for (const r of Object.values(resources)) {
      if (r.Type === 'AWS::Events::Rule') {
        for (const t of r.Properties.Targets ?? []) {
          t.RetryPolicy ??= { MaximumRetryAttempts: Math.min(maximumRetryAttempts, 185), MaximumEventAgeInSeconds: maximumEventAgeInSeconds };
          t.DeadLetterConfig ??= { Arn: dlqArn };
        }
      }
      if (r.Type === 'AWS::Scheduler::Schedule') {
        const t = r.Properties.Target;
        t.RetryPolicy ??= { MaximumRetryAttempts: Math.min(maximumRetryAttempts, 185), MaximumEventAgeInSeconds: maximumEventAgeInSeconds };
        t.DeadLetterConfig ??= { Arn: dlqArn };
      }
    }
    // a DependsOn on a resource the properties already GetAtt or Ref is redundant (cfn-lint W3005); osls and the
    // step functions plugin add them for the roles
    for (const r of Object.values(resources)) {
      if (!r.DependsOn) continue;
      const text = JSON.stringify(r.Properties ?? {});
      const kept = [r.DependsOn].flat().filter((d) => !text.includes(`{"Fn::GetAtt":["${d}",`) && !text.includes(`{"Ref":"${d}"}`));
      if (kept.length > 0) r.DependsOn = kept;
      else delete r.DependsOn;
    }
    const { opsEmails, approverEmails, approvalApiRateLimit, approvalApiBurstLimit } = this.settings();
    const stage = resources.HttpApiStage;
    if (stage) {
      stage.Properties.DefaultRouteSettings = { ...(stage.Properties.DefaultRouteSettings ?? {}), ThrottlingRateLimit: approvalApiRateLimit, ThrottlingBurstLimit: approvalApiBurstLimit };
    }
    opsEmails.forEach((address, i) => {
      resources[`OpsEmailSubscription${i + 1}`] = { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: alarmTopic }, Protocol: 'email', Endpoint: address } };
    });
    approverEmails.forEach((address, i) => {
      resources[`ApproverEmailSubscription${i + 1}`] = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: 'ApprovalTopic' }, Protocol: 'email', Endpoint: address, FilterPolicy: { approver: [address, 'any'] } },
      };
    });
    for (const key of service.getAllFunctions()) {
      resources[`${pascal(key)}ErrorsAlarm`] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmDescription: `mgn-flow ${key}: the function failed (see its log group)`,
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${pascal(key)}LambdaFunction` } }],
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: alarmTopic }],
        },
      };
    }
  }
}
