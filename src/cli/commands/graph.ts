import type { Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { targetOptions } from '../with-deps.ts';
import { NotFoundError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { styleFor } from '../output.ts';
import { resolveTarget, type TargetFlags } from '../target.ts';
import { isServerId } from '../../core/ids.ts';
import { parseExecutionName } from '../../core/wave.ts';

/**
 * `mgn-flow graph <execution>`: an execution's state machine as text, each state marked from the execution's
 * history (the dashboard draws the same as a graph). The execution is an ARN or a server execution's name
 * (`<wave>-<server>-<attempt>`).
 */
export function register(program: Command, ctx: CliContext): void {
  targetOptions(
    program
      .command('graph <execution>')
      .description("an execution's states, in the order of the state machine, marked from its history: done, current, failed, caught, not reached; <execution> is an ARN, a name (<wave>-<server>-<attempt>), or a server's hostname or id (its latest execution)"),
  ).action(handler(ctx, (execution: string, flags: TargetFlags) => graph(ctx, execution, flags)));
}

const MARK: Record<string, string> = { succeeded: '✓', current: '●', entered: '●', failed: '✗', caught: '↷', aborted: '■' };

async function graph(ctx: CliContext, execution: string, flags: TargetFlags): Promise<number> {
  // the server-lifecycle machine turns a name into an ARN; with an ARN nothing of the stack is needed
  const target = await resolveTarget(flags, { env: ctx.env, needs: execution.startsWith('arn:') ? [] : ['STATE_MACHINE_ARN'] });
  const { SFNClient, DescribeExecutionCommand, DescribeStateMachineForExecutionCommand, GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
  const { parseDefinition } = await import('../../dashboard/asl.ts');
  const { layoutGraph } = await import('../../dashboard/layout.ts');
  const { stateStatuses } = await import('../../dashboard/history.ts');
  const machine = target.resources.STATE_MACHINE_ARN;
  const sfn = new SFNClient({});
  try {
    const named = execution.startsWith('arn:') ? execution : machine ? `${machine.replace(':stateMachine:', ':execution:')}:${execution}` : execution;
    const arn = execution.startsWith('arn:') || parseExecutionName(execution) !== undefined || !machine ? named : await latestExecutionOf(sfn, machine, execution);
    let desc;
    try {
      desc = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'ExecutionDoesNotExist' || name === 'InvalidArn') throw new NotFoundError(`no execution ${execution}: give its ARN, its name (<wave>-<server>-<attempt>, as 'mgn-flow wave status' lists) or a server's hostname`);
      throw err;
    }
    const def = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: arn }));
    const events = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const g = parseDefinition(String(def.definition));
    const layout = layoutGraph(g);
    const runs = stateStatuses(events as never, String(desc.status));
    const order = [...layout.nodes].sort((a, b) => a.y - b.y || a.x - b.x);
    if (ctx.json) {
      ctx.stdout.write(`${JSON.stringify({ executionArn: arn, status: desc.status, current: runs.current ?? null, states: order.map((n) => ({ name: n.id, kind: n.kind, status: runs.states[n.id]?.status ?? 'not reached', visits: runs.states[n.id]?.visits ?? 0 })) })}\n`);
      return ExitCode.Ok;
    }
    const s = styleFor(ctx.stdout, ctx.env);
    const paint = (status: string, text: string) => (status === 'succeeded' ? s.green(text) : status === 'failed' ? s.red(text) : status === 'caught' ? s.yellow(text) : status === 'entered' || status === 'current' ? s.cyan(text) : s.dim(text));
    ctx.stdout.write(`${s.bold(String(desc.name))}: ${desc.status}${runs.current ? `, in ${runs.current}` : ''}${desc.error ? ` (${desc.error})` : ''}\n`);
    for (const n of order) {
      const run = runs.states[n.id];
      const status = n.id === runs.current && desc.status === 'RUNNING' ? 'current' : (run?.status ?? 'not reached');
      const next = g.edges.filter((e) => e.from === n.id).map((e) => (e.kind === 'catch' ? `${e.to} (on ${e.label ?? 'error'})` : e.to));
      ctx.stdout.write(`${paint(status, `${MARK[status] ?? '·'} ${n.id}`)}${run && run.visits > 1 ? s.dim(` ×${run.visits}`) : ''}${next.length ? s.dim(` → ${next.join(', ')}`) : ''}\n`);
    }
    return ExitCode.Ok;
  } finally {
    sfn.destroy();
  }
}

/** A server's hostname or id to its newest lifecycle execution (`<wave>-<server>-<attempt>`). */
async function latestExecutionOf(sfn: import('@aws-sdk/client-sfn').SFNClient, machine: string, server: string): Promise<string> {
  const { ListExecutionsCommand } = await import('@aws-sdk/client-sfn');
  const { MgnClient, DescribeSourceServersCommand } = await import('@aws-sdk/client-mgn');
  let id = isServerId(server) ? server : undefined;
  if (!id) {
    const mgn = new MgnClient({});
    try {
      const matches: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await mgn.send(new DescribeSourceServersCommand({ filters: {}, maxResults: 200, ...(nextToken ? { nextToken } : {}) }));
        for (const s of page.items ?? []) if (s.sourceServerID && s.sourceProperties?.identificationHints?.hostname?.toLowerCase() === server.toLowerCase()) matches.push(s.sourceServerID);
        nextToken = page.nextToken;
      } while (nextToken);
      if (matches.length > 1) throw new NotFoundError(`${server}: ${matches.length} source servers have this hostname (${matches.join(', ')}); give the server id`);
      id = matches[0];
    } finally {
      mgn.destroy();
    }
  }
  if (!id) throw new NotFoundError(`no execution or source server ${server}: give an execution ARN, its name (<wave>-<server>-<attempt>) or a hostname that 'mgn-flow servers list' shows`);
  let best: { arn: string; start: number } | undefined;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
    for (const e of page.executions ?? []) {
      const start = e.startDate?.getTime() ?? 0;
      if (e.executionArn && e.name?.includes(`-${id}-`) && (!best || start > best.start)) best = { arn: e.executionArn, start };
    }
    nextToken = page.nextToken;
  } while (nextToken);
  if (!best) throw new NotFoundError(`${server} (${id}) has no execution yet: it runs once a wave admits it ('mgn-flow wave status <wave>' says why not yet)`);
  return best.arn;
}
