import type { ServerResponse } from 'node:http';
import { AwsError, type LocalRequest, type LocalService, epochSeconds, handleJsonProtocol, jsonTarget, optionalString, pageOf, requireString } from '../protocol.ts';
import type { StepFunctionsHost } from './host.ts';

const date = (ms: number | undefined) => (ms === undefined ? undefined : epochSeconds(ms));

/** The Step Functions API (awsJson1_0, `AWSStepFunctions.*`) over the host. */
export function stepFunctionsService(host: StepFunctionsHost): LocalService {
  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateStateMachine: (i) => {
      const r = host.createStateMachine({
        name: requireString(i, 'name'),
        definition: requireString(i, 'definition'),
        ...(typeof i.roleArn === 'string' ? { roleArn: i.roleArn } : {}),
        ...(typeof i.type === 'string' ? { type: i.type } : {}),
      });
      return { stateMachineArn: r.stateMachineArn, creationDate: date(r.creationDate) };
    },
    DescribeStateMachine: (i) => {
      const m = host.describeStateMachine(requireString(i, 'stateMachineArn'));
      return { ...m, creationDate: date(m.creationDate) };
    },
    ListStateMachines: (i) => {
      const p = pageOf(host.listStateMachines(), i.maxResults, i.nextToken);
      return { stateMachines: p.page.map((m) => ({ ...m, creationDate: date(m.creationDate) })), ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
    },
    StartExecution: (i) => {
      const name = optionalString(i, 'name');
      const input = optionalString(i, 'input');
      const r = host.startExecution({ stateMachineArn: requireString(i, 'stateMachineArn'), ...(name ? { name } : {}), ...(input !== undefined ? { input } : {}) });
      return { executionArn: r.executionArn, startDate: date(r.startDate) };
    },
    StopExecution: (i) => {
      const r = host.stopExecution(requireString(i, 'executionArn'), optionalString(i, 'error'), optionalString(i, 'cause'));
      return { stopDate: date(r.stopDate) };
    },
    DescribeExecution: (i) => {
      const d = host.describeExecution(requireString(i, 'executionArn'));
      return { ...d, startDate: date(d.startDate), ...(d.stopDate !== undefined ? { stopDate: date(d.stopDate) } : {}) };
    },
    DescribeStateMachineForExecution: (i) => {
      const d = host.describeStateMachineForExecution(requireString(i, 'executionArn'));
      return { ...d, updateDate: date(d.updateDate) };
    },
    ListExecutions: (i) => {
      const status = optionalString(i, 'statusFilter');
      if (status && !['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'].includes(status)) {
        throw new AwsError('ValidationException', `statusFilter must be RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED`);
      }
      const all = host.listExecutions(requireString(i, 'stateMachineArn'), status);
      const p = pageOf(all, i.maxResults, i.nextToken);
      return {
        executions: p.page.map((e) => ({ ...e, startDate: date(e.startDate), ...(e.stopDate !== undefined ? { stopDate: date(e.stopDate) } : {}) })),
        ...(p.nextToken ? { nextToken: p.nextToken } : {}),
      };
    },
    GetExecutionHistory: (i) => {
      const events = [...host.history(requireString(i, 'executionArn'))];
      if (i.reverseOrder === true) events.reverse();
      const includeData = i.includeExecutionData !== false;
      const p = pageOf(events, i.maxResults, i.nextToken);
      return {
        events: p.page.map((e) => ({
          timestamp: date(e.timestamp),
          type: e.type,
          id: e.id,
          previousEventId: e.previousEventId,
          ...(e.details ? { [e.details.key]: includeData ? e.details.value : stripData(e.details.value) } : {}),
        })),
        ...(p.nextToken ? { nextToken: p.nextToken } : {}),
      };
    },
    SendTaskSuccess: (i) => {
      host.sendTaskSuccess(i.taskToken, i.output);
      return {};
    },
    SendTaskFailure: (i) => {
      host.sendTaskFailure(i.taskToken, i.error, i.cause);
      return {};
    },
    SendTaskHeartbeat: (i) => {
      host.sendTaskHeartbeat(i.taskToken);
      return {};
    },
  };
  return {
    name: 'sfn',
    matches: (req: LocalRequest) => jsonTarget(req, 'AWSStepFunctions') !== undefined,
    handle: (req: LocalRequest, res: ServerResponse) =>
      handleJsonProtocol(req, res, { prefix: 'AWSStepFunctions', namespace: 'com.amazonaws.swf.service.model', contentType: 'application/x-amz-json-1.0', operations }),
  };
}

function stripData(v: Record<string, unknown>): Record<string, unknown> {
  const { input: _i, output: _o, ...rest } = v;
  return rest;
}
