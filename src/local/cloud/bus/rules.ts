import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BusRule, LocalBus, RetryPolicy } from './bus.ts';
import { type EventPattern, parsePattern, validatePattern } from './matcher.ts';

/**
 * The rules a project declares, read the way the deployment reads them:
 * - `events/*.json`: one bare EventPattern per file;
 * - `serverless.yml`: `functions.<key>.events[].eventBridge` with a `pattern` that is either
 *   `${file(./events/x.json)}` or an inline pattern, and optionally `name`, `enabled`, `retryPolicy`.
 * A pattern file that no function references is still loaded, as a rule without a target, and reported in
 * `unrouted` (the wiring test's business to refuse it).
 */
export interface LoadedRule {
  /** Rule name: the event's `name`, else `<functionKey>-rule-<n>` as the deployment names it; unrouted files: the file's base name. */
  name: string;
  pattern: EventPattern;
  /** The routed handler; undefined for an unrouted pattern file. */
  functionKey?: string;
  /** The pattern's file relative to the project (`events/launch-result.json`), when it has one. */
  patternFile?: string;
  /** Where the rule was declared: `serverless.yml functions.<key>.events[<i>]` or the pattern file. */
  origin: string;
  enabled: boolean;
  retry?: Partial<RetryPolicy>;
}

export interface LoadedRules {
  rules: LoadedRule[];
  /** Pattern files (project-relative) that no function references. */
  unrouted: string[];
}

export class RuleLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuleLoadError';
  }
}

const FILE_REF = /^\$\{file\((.+?)\)(?::([\w.-]+))?\}$/;
/** serverless.yml eventBridge options that would change what the target receives: refused rather than ignored. */
const UNSUPPORTED = ['input', 'inputPath', 'inputTransformer', 'eventBus'] as const;

async function listPatternFiles(rootDir: string): Promise<string[]> {
  try {
    const names = await readdir(path.join(rootDir, 'events'));
    return names.filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function readPatternFile(rootDir: string, relative: string): Promise<EventPattern> {
  let text: string;
  try {
    text = await readFile(path.join(rootDir, relative), 'utf8');
  } catch (err) {
    throw new RuleLoadError(`${relative}: cannot read the pattern file (${(err as Error).message})`, { cause: err });
  }
  try {
    return parsePattern(text);
  } catch (err) {
    throw new RuleLoadError(`${relative}: ${(err as Error).message}`, { cause: err });
  }
}

/** The project-relative path of a `${file(...)}` reference, POSIX separators. */
function relativeOf(rootDir: string, ref: string): string {
  return path.relative(rootDir, path.resolve(rootDir, ref)).split(path.sep).join('/');
}

function retryPolicyOf(value: unknown, where: string): Partial<RetryPolicy> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw new RuleLoadError(`${where}.retryPolicy: must be an object`);
  const { maximumEventAge, maximumRetryAttempts } = value as Record<string, unknown>;
  const out: Partial<RetryPolicy> = {};
  if (maximumRetryAttempts !== undefined) {
    if (typeof maximumRetryAttempts !== 'number' || !Number.isInteger(maximumRetryAttempts) || maximumRetryAttempts < 0 || maximumRetryAttempts > 185) {
      throw new RuleLoadError(`${where}.retryPolicy.maximumRetryAttempts: ${String(maximumRetryAttempts)}: an integer from 0 to 185`);
    }
    out.attempts = maximumRetryAttempts + 1;
  }
  if (maximumEventAge !== undefined) {
    if (typeof maximumEventAge !== 'number' || !Number.isInteger(maximumEventAge) || maximumEventAge < 60 || maximumEventAge > 86_400) {
      throw new RuleLoadError(`${where}.retryPolicy.maximumEventAge: ${String(maximumEventAge)}: seconds from 60 to 86400`);
    }
    out.maxEventAgeMs = maximumEventAge * 1000;
  }
  return out;
}

/** Load every pattern in `<rootDir>/events/` and every eventBridge route in `<rootDir>/serverless.yml`. */
export async function loadRules(rootDir: string): Promise<LoadedRules> {
  const files = await listPatternFiles(rootDir);
  const patterns = new Map<string, EventPattern>();
  for (const f of files) patterns.set(`events/${f}`, await readPatternFile(rootDir, `events/${f}`));

  let doc: unknown = {};
  try {
    doc = parseYaml(await readFile(path.join(rootDir, 'serverless.yml'), 'utf8')) ?? {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RuleLoadError(`serverless.yml: ${(err as Error).message}`, { cause: err });
    }
  }
  const functions = (doc as { functions?: unknown }).functions ?? {};
  if (typeof functions !== 'object' || Array.isArray(functions)) {
    throw new RuleLoadError('serverless.yml: functions: must be a map of function keys');
  }

  const rules: LoadedRule[] = [];
  const referenced = new Set<string>();
  const names = new Set<string>();
  for (const [functionKey, fn] of Object.entries(functions as Record<string, unknown>)) {
    const events = (fn as { events?: unknown } | null)?.events;
    if (events === undefined || events === null) continue;
    if (!Array.isArray(events)) throw new RuleLoadError(`serverless.yml: functions.${functionKey}.events: must be a list`);
    let n = 0;
    for (const [i, ev] of events.entries()) {
      const eb = (ev as { eventBridge?: unknown } | null)?.eventBridge;
      if (eb === undefined) continue;
      n++;
      const where = `serverless.yml functions.${functionKey}.events[${i}].eventBridge`;
      if (typeof eb !== 'object' || eb === null) throw new RuleLoadError(`${where}: must be an object`);
      const spec = eb as Record<string, unknown>;
      if (spec.pattern === undefined) {
        if (spec.schedule !== undefined) continue; // a scheduled rule: the Scheduler stand-in's business
        throw new RuleLoadError(`${where}: pattern is required`);
      }
      for (const key of UNSUPPORTED) {
        if (spec[key] !== undefined) throw new RuleLoadError(`${where}.${key}: not supported by the local bus (the target must receive the event itself)`);
      }
      let pattern: EventPattern;
      let patternFile: string | undefined;
      if (typeof spec.pattern === 'string') {
        const m = FILE_REF.exec(spec.pattern.trim());
        if (!m) throw new RuleLoadError(`${where}.pattern: ${spec.pattern}: an inline pattern or \${file(./events/<name>.json)}`);
        patternFile = relativeOf(rootDir, m[1] as string);
        const whole = patterns.get(patternFile) ?? (await readPatternFile(rootDir, patternFile));
        pattern = whole;
        if (m[2]) {
          const sub = m[2].split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], whole);
          try {
            validatePattern(sub);
          } catch (err) {
            throw new RuleLoadError(`${where}.pattern: ${spec.pattern}: ${(err as Error).message}`, { cause: err });
          }
          pattern = sub;
        }
        referenced.add(patternFile);
      } else {
        try {
          validatePattern(spec.pattern);
        } catch (err) {
          throw new RuleLoadError(`${where}.pattern: ${(err as Error).message}`, { cause: err });
        }
        pattern = spec.pattern;
      }
      const name = typeof spec.name === 'string' && spec.name ? spec.name : `${functionKey}-rule-${n}`;
      if (names.has(name)) throw new RuleLoadError(`${where}.name: ${name}: a rule of that name is already declared`);
      names.add(name);
      const retry = retryPolicyOf(spec.retryPolicy, where);
      rules.push({
        name,
        pattern,
        functionKey,
        ...(patternFile ? { patternFile } : {}),
        origin: `serverless.yml functions.${functionKey}.events[${i}]`,
        enabled: spec.enabled !== false,
        ...(retry ? { retry } : {}),
      });
    }
  }

  const unrouted = [...patterns.keys()].filter((f) => !referenced.has(f));
  for (const f of unrouted) {
    const base = path.posix.basename(f, '.json');
    rules.push({ name: names.has(base) ? `unrouted-${base}` : base, pattern: patterns.get(f) as EventPattern, patternFile: f, origin: f, enabled: true });
  }
  return { rules, unrouted };
}

/** Put loaded rules on a bus: routed ones target their handler's function key. */
export function installRules(bus: LocalBus, loaded: LoadedRules): void {
  for (const r of loaded.rules) {
    const rule: BusRule = {
      name: r.name,
      pattern: r.pattern,
      state: r.enabled ? 'ENABLED' : 'DISABLED',
      ...(r.functionKey ? { target: { functionKey: r.functionKey } } : {}),
      ...(r.retry ? { retry: r.retry } : {}),
    };
    bus.addRule(rule);
  }
}
