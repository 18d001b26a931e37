/** Where the CLI writes: process.stdout/stderr in real runs, string buffers in tests. */
export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Colour only on a terminal, and never when NO_COLOR is set to a non-empty value (no-color.org). */
export function colorEnabled(w: Writer, env: Env): boolean {
  return w.isTTY === true && !env.NO_COLOR;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const sgr = (on: number, off: number) => (s: string) => `\u001b[${on}m${s}\u001b[${off}m`;
const plain = (s: string) => s;

export function styleFor(w: Writer, env: Env): Style {
  if (!colorEnabled(w, env)) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/** `--json`: exactly one JSON document on stdout. */
export function writeJson(w: Writer, value: unknown): void {
  w.write(`${JSON.stringify(value, null, 2)}\n`);
}
