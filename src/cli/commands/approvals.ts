import { Argument, type Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { targetOptions, withDeps } from '../with-deps.ts';
import { ConflictError, NotFoundError, UsageError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import type { TargetFlags } from '../target.ts';
import type { Decision, Gate } from '../../ports.ts';
import { cleanComment, cleanName, visible } from '../../core/text.ts';
import { tallyText } from '../../core/gates.ts';
import { LIMITS } from '../../core/contracts.ts';
import { SERVER_ID_EXAMPLE, isServerId } from '../../core/ids.ts';

interface DecideFlags extends TargetFlags {
  as?: string;
  comment?: string;
  quiesced?: boolean;
  acceptMissing?: string[];
  terminateInstances?: boolean;
  changeRef?: string;
}

interface ListFlags extends TargetFlags {
  wave?: string;
}

interface AuditFlags extends ListFlags {
  csv?: boolean;
}

const FAILURE_CHOICES = ['retry', 'rollback', 'stop'] as const;


function decideOptions(c: Command): Command {
  return targetOptions(
    c
      .option('--as <name>', 'your name for the audit (required on the local cloud; on AWS the approver is your caller identity from STS and --as adds your name)')
      .option('--comment <text>', `a comment for the audit log (at most ${LIMITS.commentChars} characters)`)
      .option('--change-ref <id>', "the change id, where the plan requires one at this gate (e.g. CHG0001234; 'approvals list' shows the pattern)"),
  );
}

const serverList = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function register(program: Command, ctx: CliContext): void {
  const approvals = program.command('approvals').description('list the gates waiting for a decision, and decide them (the same audited path as the approval pages)');
  targetOptions(approvals.command('list').description('the open gates: what is decided, for which servers, by whom, until when').option('--wave <wave>', 'only this wave')).action(
    handler(ctx, (flags: ListFlags) => list(ctx, flags)),
  );
  targetOptions(
    approvals
      .command('audit')
      .description('every decision (approver and typed name apart, change id, comment, quorum) and the refused requests, counted')
      .option('--wave <wave>', 'only this wave')
      .option('--csv', 'the decisions as CSV (RFC 4180), for a change record; --json gives decisions and refusals'),
  ).action(handler(ctx, (flags: AuditFlags) => audit(ctx, flags)));
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
  const who = `${g.approvers?.length ? g.approvers.map(visible).join(', ') : 'the approvals topic'}${g.quorum ? ` (${tallyText(g)})` : ''}${g.changeRef ? `; change id required (${visible(g.changeRef)})` : ''}`;
  // names reach the terminal with control characters shown escaped (no window title, no hidden text)
  return `${visible(g.id)}\n  ${g.gate} for ${visible(g.application)} (wave ${visible(g.wave)}): ${parked} of ${g.servers.length} server(s) at the gate; choices ${g.allowed.join(', ')}; asked ${who}; decide by ${deadline}`;
}

async function list(ctx: CliContext, flags: ListFlags): Promise<number> {
  return withDeps(flags, async (deps) => {
    const waits = await deps.waits.list();
    const gates = (await deps.gates.listOpen()).filter((g) => !flags.wave || g.wave === flags.wave).sort((a, b) => a.deadline.localeCompare(b.deadline));
    const rows = gates.map((g) => ({ gate: g, parked: waits.filter((w) => w.condition.kind === 'GATE' && w.condition.gateId === g.id).length }));
    if (ctx.json) {
      ctx.stdout.write(`${JSON.stringify(rows.map(({ gate: g, parked }) => ({ id: g.id, gate: g.gate, wave: g.wave, application: g.application, servers: g.servers, atGate: parked, choices: g.allowed, approvers: g.approvers ?? [], ...(g.quorum ? { quorum: g.quorum, votes: g.votes ?? [] } : {}), ...(g.changeRef ? { changeRef: g.changeRef } : {}), openedAt: g.openedAt, deadline: g.deadline })))}\n`);
    } else if (rows.length === 0) {
      ctx.stdout.write(`no gate waits for a decision${flags.wave ? ` in wave ${flags.wave}` : ''}\n`);
    } else {
      const { deadlineText } = await import('../../core/gates.ts');
      for (const r of rows) ctx.stdout.write(`${describeGate(r.gate, r.parked, deadlineText(r.gate))}\n`);
    }
    return ExitCode.Ok;
  }, { env: ctx.env });
}

async function audit(ctx: CliContext, flags: AuditFlags): Promise<number> {
  if (flags.csv && ctx.json) throw new UsageError('--csv and --json each give the whole audit: choose one');
  return withDeps(flags, async (deps) => {
    const { auditCsv, auditLines, auditReport } = await import('../../core/audit.ts');
    const report = await auditReport(deps, flags.wave ? { wave: flags.wave } : {});
    if (ctx.json) ctx.stdout.write(`${JSON.stringify(report)}\n`);
    else if (flags.csv) ctx.stdout.write(auditCsv(report));
    else for (const line of auditLines(report)) ctx.stdout.write(`${line}\n`);
    return ExitCode.Ok;
  });
}

/**
 * Who decides. The approver is the caller identity: STS's ARN on AWS; on the local cloud (no identity there)
 * `local:<--as>`. The name is what `--as` says (on AWS optional: the ARN then).
 */
async function decider(flags: DecideFlags): Promise<{ approver: string; name: string }> {
  const aws = flags.stage !== undefined || flags.profile !== undefined;
  const as = cleanName(flags.as ?? '');
  if (as.length > LIMITS.typedNameChars) throw new UsageError(`--as: at most ${LIMITS.typedNameChars} characters`);
  if (aws) {
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({});
    try {
      const me = await sts.send(new GetCallerIdentityCommand({}));
      return { approver: String(me.Arn), name: as || String(me.Arn) };
    } finally {
      sts.destroy();
    }
  }
  if (!as) throw new UsageError('say who decides with --as <name> (on the local cloud there is no caller identity), e.g. --as "Alice Admin"');
  return { approver: `local:${as}`, name: as };
}

async function decideCommand(ctx: CliContext, gateId: string, decision: Decision, flags: DecideFlags): Promise<number> {
  if (flags.comment !== undefined) flags.comment = cleanComment(flags.comment);
  if ((flags.comment ?? '').length > LIMITS.commentChars) throw new UsageError(`--comment: at most ${LIMITS.commentChars} characters`);
  if (flags.changeRef !== undefined && cleanName(flags.changeRef).length > LIMITS.changeRefChars) throw new UsageError(`--change-ref: at most ${LIMITS.changeRefChars} characters`);
  for (const s of flags.acceptMissing ?? []) if (!isServerId(s)) throw new UsageError(`--accept-missing ${s}: a source server id such as ${SERVER_ID_EXAMPLE}`);
  const who = await decider(flags);
  return withDeps(flags, async (deps) => {
    const { recordDecision } = await import('../../core/approvals.ts');
    try {
      const { entry } = await recordDecision(
        deps,
        {
          gateId,
          decision,
          by: who.approver,
          name: who.name,
          ...(flags.comment ? { comment: flags.comment } : {}),
          ...(flags.quiesced ? { quiesced: true } : {}),
          ...(flags.acceptMissing?.length ? { acceptMissing: flags.acceptMissing } : {}),
          ...(flags.terminateInstances ? { terminateInstances: true } : {}),
          ...(flags.changeRef !== undefined ? { changeRef: cleanName(flags.changeRef) } : {}),
        },
        { channel: 'cli', userAgent: 'mgn-flow-cli' },
      );
      if (ctx.json) ctx.stdout.write(`${JSON.stringify(entry)}\n`);
      else if (entry.quorum && !entry.quorum.decided) {
        const q = entry.quorum;
        ctx.stdout.write(`${visible(gateId)}: ${decision} by ${visible(entry.by)} recorded; ${q.approvals} of ${q.of} approved, ${q.rejections} rejected; the gate decides when ${q.needed} approve\n`);
      } else ctx.stdout.write(`${visible(gateId)}: ${decision} by ${visible(entry.by)}${entry.changeRef ? ` (change ${visible(entry.changeRef)})` : ''}; ${entry.released.length} server(s) move on${entry.released.length ? `: ${entry.released.join(', ')}` : ''}\n`);
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
        throw new ConflictError(d ? `${visible(gateId)} is already decided: ${d.decision} by ${visible(d.by)} at ${d.at}` : visible(e.message));
      }
      // a change id missing or not matching: say how to give it
      throw new UsageError(/change id/.test(e.message) ? `${e.message}: give it with --change-ref <id>` : e.message);
    }
  }, { env: ctx.env, needs: ['STATE_TABLE', 'OPS_TOPIC_ARN'] });
}

