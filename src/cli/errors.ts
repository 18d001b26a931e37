import { CommanderError } from 'commander';
import { UsageError } from '../local/emulator/config.ts';
import { ExitCode } from './exit-codes.ts';

export { UsageError };

/** The thing a command names (wave, execution, approval, ...) does not exist: exit 3. */
export class NotFoundError extends Error {
  readonly exitCode = ExitCode.NotFound;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** The request clashes with the current state (already decided, already running, ...): exit 4. */
export class ConflictError extends Error {
  readonly exitCode = ExitCode.Conflict;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/** A wave file's errors: every one listed (at most 50, the rest counted), then the count: exit 2. */
export function waveFileUsage(err: { lines: string[]; total: number }, outcome = 'nothing was started'): UsageError {
  const e = new UsageError(`${err.lines.join('\n')}\n${err.total} error${err.total === 1 ? '' : 's'}; ${outcome}`);
  // one problem: its own "what to do" when it says one; several: fix them where they say
  const own = err.total === 1 ? err.lines[0]?.split('; ').slice(1).join('; ') : undefined;
  return Object.assign(e, { fix: own || 'correct the wave file where each problem says (file:path: value: what is allowed), then run the command again' });
}

/** commander's own exits that are not mistakes: --help, --version, `help`. */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version']);

/** What a person (or a script) should do about an error, when the error says it: `fix` on the error wins. */
export function fixFor(err: unknown, usage: string | undefined): string {
  if (err !== null && typeof err === 'object' && typeof (err as { fix?: unknown }).fix === 'string') return (err as { fix: string }).fix;
  const first = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
  // the house style of a message is "what is wrong; what to do" (or "...: start one with ..."): the second part is the fix
  const semi = first.lastIndexOf('; ');
  if (semi > 0) return first.slice(semi + 2);
  const colon = first.search(/: (start|use|give|name|run|say|pass|set|cancel|check|rename|split|remove|add|stop|wait|choose|open|try)\b/i);
  if (colon > 0) return first.slice(colon + 2);
  const code = exitCodeFor(err);
  if (code === ExitCode.Usage) return usage ?? "Run 'mgn-flow --help' for usage.";
  if (code === ExitCode.NotFound) return 'check the name (a list command shows what exists here) and the target (--stage/--region or .mgn-flow/local.json)';
  if (code === ExitCode.Conflict) return 'look at the current state (wave status, approvals list) and try again once it allows this';
  return 'run again with MGN_FLOW_DEBUG=1 for the stack trace; if AWS refused the call, check the credentials, region and permissions';
}

/** `--json`: the one JSON document an error prints on stdout. */
export interface JsonError {
  error: { name: string; message: string; problems?: string[]; exitCode: number; fix: string };
}

export function jsonError(err: unknown, usage: string | undefined): JsonError {
  const exitCode = exitCodeFor(err);
  let message = err instanceof Error ? err.message : String(err);
  let name = err instanceof Error ? err.name : 'Error';
  if (err instanceof CommanderError) {
    // commander's text: "error: unknown option '--x'\n(Did you mean --y?)"
    name = 'UsageError';
    message = message.replace(/^error: /, '').replace(/\n\(Did you mean (one of )?(.+)\?\)/, '. Did you mean $1$2?').trim();
    if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed') message = 'no command given';
  }
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  // a usage error may list several problems, one a line, often closed by a count ("3 errors; nothing was started")
  const multi = err instanceof UsageError && lines.length > 1;
  const counted = multi && /^\d+ (error|problem)/.test(lines[lines.length - 1]!);
  return {
    error: {
      name,
      message: counted ? lines[lines.length - 1]! : (lines[0] ?? message),
      ...(multi ? { problems: counted ? lines.slice(0, -1) : lines } : {}),
      exitCode,
      fix: err instanceof CommanderError ? (usage ?? "Run 'mgn-flow --help' for usage.") : fixFor(err, usage),
    },
  };
}

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CommanderError) {
    if (COMMANDER_OK.has(err.code) || (err.code === 'commander.help' && err.exitCode === 0)) return ExitCode.Ok;
    return ExitCode.Usage;
  }
  if (err instanceof UsageError) return ExitCode.Usage;
  if (err instanceof NotFoundError) return ExitCode.NotFound;
  if (err instanceof ConflictError) return ExitCode.Conflict;
  // an error of another layer that names its exit code (the local cloud's "already running": 4)
  const own = (err as { exitCode?: unknown } | null)?.exitCode;
  if (own === ExitCode.Usage || own === ExitCode.NotFound || own === ExitCode.Conflict) return own;
  return ExitCode.Failed;
}
