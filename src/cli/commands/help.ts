import type { Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { ExitCode } from '../exit-codes.ts';
import { suggest } from '../suggest.ts';

/** `mgn-flow help [command...]`: help for the root, a command, or a nested one (`help wave start`). */
export function register(program: Command, ctx: CliContext): void {
  program.helpCommand(false);
  program
    .command('help')
    .argument('[command...]', 'the command to describe')
    .description('show help for mgn-flow or one of its commands')
    .action(
      handler(ctx, (names: string[]) => {
        let target = program;
        for (const name of names) {
          const visible = target.createHelp().visibleCommands(target);
          const found = visible.find((c) => c.name() === name || c.aliases().includes(name));
          if (!found) {
            const near = suggest(name, visible.map((c) => c.name()));
            const hint = near ? `. Did you mean '${near}'?` : `. Allowed: ${visible.map((c) => c.name()).join(', ')}.`;
            program.error(`error: unknown command '${name}'${hint}`, { code: 'commander.unknownCommand', exitCode: ExitCode.Usage });
          }
          target = found;
        }
        target.outputHelp();
        return ExitCode.Ok;
      }),
    );
}

