/** A wave file's errors: each reads `file:line:column: path: value: what is allowed`, all of them together. */

// ---------------------------------------------------------------------------------------------------------
// errors

export interface WaveFileIssue {
  file: string;
  /** `applications[1].servers[3]`, `(root)` for the whole file. */
  path: string;
  /** The value as written (JSON), `(missing)`, or a short description such as `201 servers`. */
  value: string;
  /** What is wrong and what is allowed. */
  allowed: string;
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
}

/**
 * Hostile or runaway input is refused before it costs much: the file's size, YAML aliases (an alias bomb
 * expands a few lines into millions of nodes), and how many errors are listed (a wrong 7 MB file once printed
 * 300,001 lines). A 1,000-server wave with launch settings on every server is about 200 KB.
 */
export const WAVE_FILE_LIMITS = Object.freeze({
  bytes: 2 * 1024 * 1024,
  /** yaml's `maxAliasCount`: how many nodes aliases may expand to, in all. */
  aliasNodes: 100,
  /** Errors listed; the rest are counted. */
  errorsShown: 50,
  /** Errors collected before the rest are only counted (bounds the memory a broken file costs). */
  errorsCollected: 1000,
});

/** The wave file is invalid: the errors found (the first `WAVE_FILE_LIMITS.errorsShown`), each `file:path: value: what is allowed`. */
export class WaveFileError extends Error {
  readonly errors: string[];
  readonly issues: WaveFileIssue[];
  /** Every error found, the ones not listed included. */
  readonly total: number;

  constructor(issues: WaveFileIssue[], total = issues.length) {
    const shown = issues.slice(0, WAVE_FILE_LIMITS.errorsShown);
    const errors = shown.map((i) => `${i.file}:${i.path}: ${i.value}: ${i.allowed}`);
    const more = total - shown.length;
    super([...errors, ...(more > 0 ? [`... and ${more} more error${more === 1 ? '' : 's'} not listed: fix these first`] : [])].join('\n'));
    this.name = 'WaveFileError';
    this.errors = errors;
    this.issues = shown;
    this.total = total;
  }

  /** The errors as a person reads them: the listed ones, then how many more there are. */
  get lines(): string[] {
    return this.message.split('\n');
  }
}

export type Seg = string | number;

/** `applications[1].servers[3]`; keys that are not plain names are quoted: `parameters["a b"]`. */
export function formatPath(path: readonly Seg[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The value as it reads in an error: JSON, shortened; `(missing)` when absent. */
export function showValue(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function at(data: unknown, path: readonly Seg[]): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export class Issues {
  readonly list: (WaveFileIssue & { order: number })[] = [];
  /** Errors found beyond `WAVE_FILE_LIMITS.errorsCollected`: counted, not kept. */
  private uncollected = 0;

  constructor(
    readonly file: string,
    private readonly locate: (path: readonly Seg[]) => { line: number; column: number; offset: number } | undefined = () => undefined,
  ) {}

  add(path: readonly Seg[], value: string, allowed: string): void {
    if (this.list.length >= WAVE_FILE_LIMITS.errorsCollected) {
      this.uncollected++;
      return;
    }
    const pos = this.locate(path);
    this.list.push({
      file: this.file,
      path: formatPath(path),
      value,
      allowed,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      order: pos?.offset ?? Number.MAX_SAFE_INTEGER,
    });
  }

  get empty(): boolean {
    return this.list.length === 0 && this.uncollected === 0;
  }

  /** In the order they appear in the file (those without a position last, in the order found). */
  error(): WaveFileError {
    const sorted = this.list.map((issue, i) => ({ issue, i })).sort((a, b) => a.issue.order - b.issue.order || a.i - b.i);
    return new WaveFileError(
      sorted.map(({ issue: { order: _order, ...rest } }) => rest),
      this.list.length + this.uncollected,
    );
  }
}
