import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionPort, ExecutionStatus } from '../../ports.ts';

/**
 * The server-lifecycle executions a wave starts, on Step Functions. StartExecution with a name already used:
 * AWS answers the existing execution when the input is the same, ExecutionAlreadyExists otherwise; either way
 * the port reports the existing execution's status, so the wave attaches to it or moves to the next attempt.
 */
export function createExecutionPort(client: SFNClient, stateMachineArn: string): ExecutionPort {
  const arnFor = (name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const describe = async (executionArn: string) => {
    try {
      const r = await client.send(new DescribeExecutionCommand({ executionArn }));
      return { status: r.status as ExecutionStatus, ...(r.error ? { error: r.error } : {}), ...(r.cause ? { cause: r.cause } : {}) };
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  };
  return {
    arnFor,
    describe,
    async start(name, input) {
      try {
        const r = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return { executionArn: String(r.executionArn), started: true, status: 'RUNNING' };
      } catch (err) {
        if ((err as Error).name !== 'ExecutionAlreadyExists') throw err;
        const executionArn = arnFor(name);
        const existing = await describe(executionArn);
        return { executionArn, started: false, status: existing?.status ?? 'RUNNING' };
      }
    },
    async stop(executionArn, cause) {
      try {
        await client.send(new StopExecutionCommand({ executionArn, error: 'WaveStopped', cause }));
      } catch (err) {
        if ((err as Error).name !== 'ExecutionDoesNotExist') throw err;
      }
    },
  };
}
