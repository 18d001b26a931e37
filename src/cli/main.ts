import { CommanderError, type Command } from 'commander';
import { createContext, type CliContext, type CliIo } from './context.ts';
import { exitCodeFor, jsonError, UsageError } from './errors.ts';
import { styleFor } from './output.ts';
import { createProgram, refusedCommand, usageHint } from './program.ts';
import { visible } from '../core/text.ts';

/**
 * The `mgn-flow` command. Returns the exit code (never calls process.exit); `io` lets tests capture
 * output and replace signals and heavy modules.
 */
export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const ctx = createContext(io);
  // known before commander parses anything, so that a flag error is answered in JSON too
  ctx.json = wantsJson(argv);
  let active: Command | undefined;
  try {
    const program = createProgram(ctx);
    program.hook('preAction', (_root, actionCommand) => {
      ctx.json = program.opts().json === true;
      active = actionCommand;
    });
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    report(ctx, err, active);
    const code = exitCodeFor(err);
    const where = refusedCommand(ctx) ?? active;
    // one line, as the commands' own --json output: a script may read the last line
    if (ctx.json && code !== 0) ctx.stdout.write(`${JSON.stringify(jsonError(err, where ? usageHint(where) : undefined))}\n`);
    return code;
  }
}

/** `--json` anywhere before a `--` (commander takes the global flag after the command too). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

function report(ctx: CliContext, err: unknown, active: Command | undefined): void {
  if (err instanceof CommanderError) return; // commander has already said what is wrong
  const prefix = styleFor(ctx.stderr, ctx.env).red('error:');
  const debug = ctx.env.MGN_FLOW_DEBUG === '1';
  const message = err instanceof Error ? err.message : String(err);
  // a usage error of ours may list several problems, one a line (an invalid wave file): all are shown
  const lines = err instanceof UsageError ? message.split('\n') : [message.split('\n', 1)[0] ?? ''];
  // an error may quote a name or an argument: its control characters reach the terminal escaped
  ctx.stderr.write(`${prefix} ${lines.map(visible).join('\n')}\n`);
  if (err instanceof UsageError && active) ctx.stderr.write(`${usageHint(active)}\n`);
  if (debug && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
}
