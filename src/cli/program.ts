import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { commands } from './commands/index.ts';
import type { CliContext } from './context.ts';
import { colorEnabled, styleFor } from './output.ts';

export const PROGRAM_NAME = 'mgn-flow';

/** Builds the whole command tree; nothing in it calls process.exit or writes to process.stdout directly. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command(PROGRAM_NAME)
    .description('Serverless orchestrator for AWS Application Migration Service (MGN), with a local cloud.')
    .version(readVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--json', 'machine output: one JSON document on stdout')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failed, 2 usage or invalid input, 3 not found, 4 conflict.\n' +
        'Set MGN_FLOW_DEBUG=1 to print stack traces.',
    );
  for (const command of commands) command.register(program, ctx);
  for (const cmd of walk(program)) {
    cmd
      .exitOverride()
      .showSuggestionAfterError()
      .showHelpAfterError(usageHint(cmd))
      .configureOutput({
        writeOut: (s) => void ctx.stdout.write(s),
        writeErr: (s) => void ctx.stderr.write(s),
        outputError: (s, write) => {
          failedCommand.set(ctx, cmd);
          write(formatError(s, cmd, ctx));
        },
        getOutHelpWidth: () => ctx.stdout.columns ?? 80,
        getErrHelpWidth: () => ctx.stderr.columns ?? 80,
        getOutHasColors: () => colorEnabled(ctx.stdout, ctx.env),
        getErrHasColors: () => colorEnabled(ctx.stderr, ctx.env),
      });
  }
  return program;
}

/** The command whose flags or arguments commander refused last (for the `--json` error's fix). */
const failedCommand = new WeakMap<CliContext, Command>();
export function refusedCommand(ctx: CliContext): Command | undefined {
  return failedCommand.get(ctx);
}

/** `Run 'mgn-flow emulator --help' for usage.` */
export function usageHint(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return `Run '${names.join(' ')} --help' for usage.`;
}

function* walk(cmd: Command): Generator<Command> {
  yield cmd;
  for (const sub of cmd.commands) yield* walk(sub);
}

/**
 * commander says `error: unknown command 'wvae'\n(Did you mean wave?)`; we say it on one line, and list
 * the commands when there is nothing close.
 */
function formatError(message: string, cmd: Command, ctx: CliContext): string {
  let oneLine = message.replace(/\n\(Did you mean (one of )?(.+)\?\)/, (_m, oneOf: string | undefined, names: string) => {
    const quoted = names
      .split(', ')
      .map((n) => `'${n}'`)
      .join(', ');
    return `. Did you mean ${oneOf ?? ''}${quoted}?`;
  });
  if (/^error: unknown command '[^']*'\n$/.test(oneLine)) {
    const names = cmd.createHelp().visibleCommands(cmd).map((c) => c.name());
    oneLine = `${oneLine.trimEnd()}. Allowed: ${names.join(', ')}.\n`;
  }
  return oneLine.replace(/^error:/, styleFor(ctx.stderr, ctx.env).red('error:'));
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
