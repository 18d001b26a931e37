import { Argument, type Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { targetOptions, withDeps } from '../with-deps.ts';
import { ConflictError, NotFoundError, UsageError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import type { TargetFlags } from '../target.ts';
import type { Decision, Gate } from '../../ports.ts';

interface DecideFlags extends TargetFlags {
  as?: string;
  comment?: string;
  quiesced?: boolean;
  acceptMissing?: string[];
  terminateInstances?: boolean;
}

interface ListFlags extends TargetFlags {
  wave?: string;
}

const FAILURE_CHOICES = ['retry', 'rollback', 'stop'] as const;


function decideOptions(c: Command): Command {
  return targetOptions(
    c
      .option('--as <name>', 'who decides (local cloud only; on AWS the caller identity from STS is used)')
      .option('--comment <text>', 'a comment for the audit log (at most 2,000 characters)'),
  );
}

const serverList = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function register(program: Command, ctx: CliContext): void {
  const approvals = program.command('approvals').description('list the gates waiting for a decision, and decide them (the same audited path as the approval pages)');
  targetOptions(approvals.command('list').description('the open gates: what is decided, for which servers, by whom, until when').option('--wave <wave>', 'only this wave')).action(
    handler(ctx, (flags: ListFlags) => list(ctx, flags)),
  );
  decideOptions(
    approvals
      .command('approve <gate-id>')
      .description('approve a sign-off, go/no-go or finalize gate')
      .option('--quiesced', 'the sources are quiesced (required to approve a go/no-go)')
      .option('--accept-missing <ids>', 'go ahead without these servers (comma-separated s-... ids); required when servers are missing at the go/no-go', serverList),
  ).action(handler(ctx, (id: string, flags: DecideFlags) => decideCommand(ctx, id, 'approve', flags)));
  decideOptions(
    approvals
      .command('reject <gate-id>')
      .description('reject a sign-off, go/no-go or finalize gate (the servers take the safe path)')
      .option('--terminate-instances', 'finalize rejected: also terminate the cutover instances (kept otherwise)'),
  ).action(handler(ctx, (id: string, flags: DecideFlags) => decideCommand(ctx, id, 'reject', flags)));
  decideOptions(
    approvals
      .command('decide <gate-id>')
      .description('decide a failure gate')
      .addArgument(new Argument('<choice>', 'what happens to the failed server').choices(FAILURE_CHOICES)),
  ).action(handler(ctx, (id: string, choice: Decision, flags: DecideFlags) => decideCommand(ctx, id, choice, flags)));
}

function describeGate(g: Gate, parked: number, deadline: string): string {
  const who = g.approvers?.length ? g.approvers.join(', ') : 'the approvals topic';
  return `${g.id}\n  ${g.gate} for ${g.application} (wave ${g.wave}): ${parked} of ${g.servers.length} server(s) at the gate; choices ${g.allowed.join(', ')}; asked ${who}; decide by ${deadline}`;
}

async function list(ctx: CliContext, flags: ListFlags): Promise<number> {
  return withDeps(flags, async (deps) => {
    const waits = await deps.waits.list();
    const gates = (await deps.gates.listOpen()).filter((g) => !flags.wave || g.wave === flags.wave).sort((a, b) => a.deadline.localeCompare(b.deadline));
    const rows = gates.map((g) => ({ gate: g, parked: waits.filter((w) => w.condition.kind === 'GATE' && w.condition.gateId === g.id).length }));
    if (ctx.json) {
      ctx.stdout.write(`${JSON.stringify(rows.map(({ gate: g, parked }) => ({ id: g.id, gate: g.gate, wave: g.wave, application: g.application, servers: g.servers, atGate: parked, choices: g.allowed, approvers: g.approvers ?? [], openedAt: g.openedAt, deadline: g.deadline })))}\n`);
    } else if (rows.length === 0) {
      ctx.stdout.write(`no gate waits for a decision${flags.wave ? ` in wave ${flags.wave}` : ''}\n`);
    } else {
      const { deadlineText } = await import('../../core/gates.ts');
      for (const r of rows) ctx.stdout.write(`${describeGate(r.gate, r.parked, deadlineText(r.gate))}\n`);
    }
    return ExitCode.Ok;
  }, { env: ctx.env });
}

/** Who decides: STS's caller identity on AWS; `--as` on the local cloud (there is no identity there). */
async function decider(flags: DecideFlags): Promise<string> {
  const aws = flags.stage !== undefined || flags.profile !== undefined;
  if (aws) {
    if (flags.as !== undefined) throw new UsageError('--as works on the local cloud only: on AWS the decider is your caller identity (STS), so drop --as');
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({});
    try {
      const me = await sts.send(new GetCallerIdentityCommand({}));
      return String(me.Arn);
    } finally {
      sts.destroy();
    }
  }
  const as = flags.as?.trim();
  if (!as) throw new UsageError('say who decides with --as <name> (on the local cloud there is no caller identity), e.g. --as "Alice Admin"');
  if (as.length > 100) throw new UsageError('--as: at most 100 characters');
  return as;
}

async function decideCommand(ctx: CliContext, gateId: string, decision: Decision, flags: DecideFlags): Promise<number> {
  if ((flags.comment ?? '').length > 2000) throw new UsageError('--comment: at most 2,000 characters');
  for (const s of flags.acceptMissing ?? []) if (!/^s-[0-9a-zA-Z]{17}$/.test(s)) throw new UsageError(`--accept-missing ${s}: a source server id such as s-1234567890abcdef0`);
  const by = await decider(flags);
  return withDeps(flags, async (deps) => {
    const { recordDecision } = await import('../../core/approvals.ts');
    try {
      const { entry } = await recordDecision(
        deps,
        {
          gateId,
          decision,
          by,
          ...(flags.comment ? { comment: flags.comment } : {}),
          ...(flags.quiesced ? { quiesced: true } : {}),
          ...(flags.acceptMissing?.length ? { acceptMissing: flags.acceptMissing } : {}),
          ...(flags.terminateInstances ? { terminateInstances: true } : {}),
        },
        { channel: 'cli', userAgent: 'mgn-flow-cli' },
      );
      if (ctx.json) ctx.stdout.write(`${JSON.stringify(entry)}\n`);
      else ctx.stdout.write(`${gateId}: ${decision} by ${by}; ${entry.released.length} server(s) move on${entry.released.length ? `: ${entry.released.join(', ')}` : ''}\n`);
      return ExitCode.Ok;
    } catch (err) {
      const e = err as Error & { reason?: string };
      if (e.name !== 'InvalidDecisionError') throw err;
      if (e.reason === 'unknown') throw new NotFoundError(`${e.message}: 'mgn-flow approvals list' shows the open gates`);
      // past its deadline: the message says until when (in the wave's time zone) and why
      if (e.reason === 'expired') throw new ConflictError(e.message);
      if (e.reason === 'conflict') {
        const g = await deps.gates.get(gateId);
        const d = g?.decision;
        throw new ConflictError(d ? `${gateId} is already decided: ${d.decision} by ${d.by} at ${d.at}` : e.message);
      }
      throw new UsageError(e.message);
    }
  }, { env: ctx.env, needs: ['STATE_TABLE', 'OPS_TOPIC_ARN'] });
}

