import type { Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { targetOptions, withDeps } from '../with-deps.ts';
import { NotFoundError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { styleFor } from '../output.ts';
import type { TargetFlags } from '../target.ts';

/**
 * `mgn-flow servers list`: the source servers MGN knows (the local cloud's emulator or the account's), with
 * their replication and, for a server a wave runs (or the wave named with --wave), the wave and application.
 */
export function register(program: Command, ctx: CliContext): void {
  const servers = program.command('servers').description('the source servers MGN knows: hostname, id, state, replication, lag, wave and application');
  targetOptions(
    servers
      .command('list')
      .description('every source server: hostname, id, MGN state, replication and lag, and the wave and application that run it')
      .option('--wave <wave>', 'the applications of this stored wave (default: the wave running each server, else a stored wave naming it)')
      .option('--archived', 'include archived servers'),
  ).action(handler(ctx, (flags: TargetFlags & { wave?: string; archived?: boolean }) => list(ctx, flags)));
}

/** `1 h 5 min`, `42 s`: MGN's lag as people read it. */
export function lagText(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}

async function list(ctx: CliContext, flags: TargetFlags & { wave?: string; archived?: boolean }): Promise<number> {
  return withDeps(flags, async (deps) => {
    const all = await deps.mgn.listServers();
    // the wave and application of each server: a running wave first, else the newest stored wave naming it
    const member = new Map<string, { wave: string; application: string }>();
    if (flags.wave) {
      const wave = await deps.waves.getDefinition(flags.wave);
      if (!wave) throw new NotFoundError(`no wave ${flags.wave} is stored here: start one with 'mgn-flow wave start <file>'`);
    }
    const stored = await deps.waves.listDefinitions();
    for (const wave of stored.filter((w) => !flags.wave || w.name === flags.wave)) {
      for (const a of wave.applications) for (const s of a.servers) if (!member.has(s.id) || wave.name === flags.wave) member.set(s.id, { wave: wave.name, application: a.name });
    }
    if (!flags.wave) for (const o of await deps.waves.runningOutcomes()) member.set(o.serverId, { wave: o.wave, application: o.application });
    const rows = all
      .filter((s) => flags.archived || !s.isArchived)
      .map((s) => ({
        hostname: s.hostname ?? '',
        serverId: s.id,
        lifeCycle: s.lifeCycle,
        archived: s.isArchived,
        replication: s.replication.state,
        lagSeconds: s.replication.lagSeconds,
        backlogBytes: s.replication.backlogBytes,
        ...(s.replication.error ? { replicationError: s.replication.error } : {}),
        wave: member.get(s.id)?.wave ?? null,
        application: member.get(s.id)?.application ?? null,
      }))
      .sort((a, b) => (a.hostname || a.serverId).localeCompare(b.hostname || b.serverId, 'en', { numeric: true }));
    if (ctx.json) {
      ctx.stdout.write(`${JSON.stringify({ servers: rows })}\n`);
      return ExitCode.Ok;
    }
    if (rows.length === 0) {
      const archived = all.filter((x) => x.isArchived).length;
      ctx.stdout.write(
        archived
          ? `every source server here is archived (${archived}): --archived lists them\n`
          : 'MGN knows no source server here: install the replication agent on a source server (or start the local cloud with --servers N)\n',
      );
      return ExitCode.Ok;
    }
    const s = styleFor(ctx.stdout, ctx.env);
    const width = Math.max(8, ...rows.map((r) => r.hostname.length));
    ctx.stdout.write(s.bold(`${'HOSTNAME'.padEnd(width)}  ${'ID'.padEnd(19)}  ${'MGN STATE'.padEnd(20)}  ${'REPLICATION'.padEnd(17)}  ${'LAG'.padEnd(9)}  WAVE / APPLICATION\n`));
    for (const r of rows) {
      const state = `${r.lifeCycle}${r.archived ? ' (archived)' : ''}`;
      const repl = `${r.replication}${r.replicationError ? ` (${r.replicationError})` : ''}`;
      ctx.stdout.write(`${(r.hostname || '-').padEnd(width)}  ${r.serverId.padEnd(19)}  ${state.padEnd(20)}  ${repl.padEnd(17)}  ${lagText(r.lagSeconds).padEnd(9)}  ${r.wave ? `${r.wave} / ${r.application}` : '-'}\n`);
    }
    ctx.stdout.write(s.dim(`${rows.length} server(s); use a hostname or an id in a wave file\n`));
    return ExitCode.Ok;
  });
}
