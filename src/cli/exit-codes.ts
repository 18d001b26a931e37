/** Process exit codes of `mgn-flow` (docs/adr, "Interfaces"). */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  NotFound: 3,
  Conflict: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
