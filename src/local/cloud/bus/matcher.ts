import { isIPv4, isIPv6 } from 'node:net';
import { AwsError } from '../protocol.ts';

/**
 * EventBridge content filtering, as AWS documents it:
 * - "Amazon EventBridge event patterns" (eb-event-patterns), "Content filtering in Amazon EventBridge event
 *   patterns" (eb-event-patterns-content-based-filtering) and "Comparison operators for use in event patterns"
 *   (eb-create-pattern-operators), https://docs.aws.amazon.com/eventbridge/latest/userguide/;
 * - where the pages are silent, the behaviour of aws/event-ruler (the matching engine EventBridge runs), whose
 *   rule compiler also gives the validation messages below ("Empty arrays are not allowed", ...).
 *
 * Semantics:
 * - every field named in the pattern must match (AND); a field matches when ANY entry of its array matches (OR);
 *   `$or: [{...}, {...}]` ORs whole sub-patterns at its level;
 * - a pattern object descends into the event object of the same name; when the event value is an array of
 *   objects, the sub-pattern must match within ONE element (event-ruler's array-consistent matching);
 * - operators apply to leaf values only (strings, numbers, booleans, null). An array of leaves in the event
 *   matches when any element matches. An object, a missing field or an empty array has no leaf value:
 *   only `{"exists": false}` matches it;
 * - exact values compare type and value (`"5"` is not `5`; `""` is not `null`); numeric operators only see
 *   JSON numbers; string operators only see strings; `anything-but` needs the field to be present and matches
 *   any leaf value that is not excluded (so a number passes `{"anything-but": {"prefix": "x"}}`).
 */

export type EventPattern = Record<string, unknown>;

type LeafTest = (value: unknown) => boolean;
/** Tests one event node (an object, or anything else: then it has no fields). */
type NodeTest = (node: unknown) => boolean;

interface FieldMatcher {
  /** `{"exists": true}` is in the list: any leaf value matches. */
  present: boolean;
  /** `{"exists": false}` is in the list: no leaf value matches. */
  absent: boolean;
  tests: LeafTest[];
}

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
]);

function invalid(reason: string, path: string[]): never {
  const where = path.length ? ` at ${path.join('.')}` : '';
  return fail(`Event pattern is not valid. Reason: ${reason}${where}`);
}

function fail(message: string): never {
  throw new AwsError('InvalidEventPatternException', message);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The event's own field (never one inherited from Object.prototype, such as `constructor`). */
const own = (node: unknown, key: string): unknown => (isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined);

// ---------------------------------------------------------------------------------------------------------------
// Compilation (validation happens here: a pattern that compiles is one PutRule would accept)

function compileObject(pattern: Record<string, unknown>, path: string[], insideOr: boolean): NodeTest {
  const keys = Object.keys(pattern);
  if (keys.length === 0) invalid('Empty objects are not allowed', path);
  const tests: NodeTest[] = [];
  for (const key of keys) {
    const value = pattern[key];
    const here = [...path, key];
    if (key === '$or') {
      tests.push(compileOr(value, here));
      continue;
    }
    if (insideOr && OPERATORS.has(key)) {
      invalid(`${key} is a reserved field name which cannot be used inside $or`, here);
    }
    if (Array.isArray(value)) {
      const field = compileField(value, here);
      tests.push((node) => fieldMatches(field, own(node, key)));
    } else if (isPlainObject(value)) {
      const child = compileObject(value, here, insideOr);
      tests.push((node) => childMatches(child, own(node, key)));
    } else {
      invalid(`"${key}" must be an object or an array`, here);
    }
  }
  return (node) => {
    for (const t of tests) if (!t(node)) return false;
    return true;
  };
}

function compileOr(value: unknown, path: string[]): NodeTest {
  if (!Array.isArray(value)) invalid('It must be an Array followed with $or', path);
  if (value.length < 2) invalid('There must have at least 2 Objects in $or relationship', path);
  const branches = value.map((branch, i) => {
    if (!isPlainObject(branch)) invalid('Only JSON object is allowed in array of $or relationship', [...path, String(i)]);
    return compileObject(branch, [...path, String(i)], true);
  });
  return (node) => branches.some((b) => b(node));
}

/** A nested pattern against the event value of the same name: one object, or any object of an array. */
function childMatches(child: NodeTest, value: unknown): boolean {
  if (Array.isArray(value)) {
    const objects = flatten(value).filter(isPlainObject);
    if (objects.length === 0) return child(undefined);
    return objects.some((o) => child(o));
  }
  return child(value);
}

function flatten(values: unknown[], out: unknown[] = []): unknown[] {
  for (const v of values) {
    if (Array.isArray(v)) flatten(v, out);
    else out.push(v);
  }
  return out;
}

const isLeaf = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The leaf values the event holds at a field: none for a missing field, an object or an empty array. */
function leaves(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return flatten(value).filter(isLeaf);
  return isLeaf(value) ? [value] : [];
}

function fieldMatches(field: FieldMatcher, value: unknown): boolean {
  const vs = leaves(value);
  if (vs.length === 0) return field.absent;
  if (field.present) return true;
  for (const test of field.tests) {
    for (const v of vs) if (test(v)) return true;
  }
  return false;
}

function compileField(values: unknown[], path: string[]): FieldMatcher {
  if (values.length === 0) invalid('Empty arrays are not allowed', path);
  const field: FieldMatcher = { present: false, absent: false, tests: [] };
  for (const v of values) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) {
      field.tests.push((x) => x === v);
    } else if (isPlainObject(v)) {
      const compiled = compileExpression(v, path);
      if (compiled === true) field.present = true;
      else if (compiled === false) field.absent = true;
      else {
        field.tests.push(compiled);
      }
    } else {
      invalid('Match value must be String, number, true, false, or null', path);
    }
  }
  return field;
}

/** A match expression `{ "<operator>": ... }`: a leaf test, or the boolean of an exists expression. */
function compileExpression(expr: Record<string, unknown>, path: string[]): LeafTest | boolean {
  const keys = Object.keys(expr);
  if (keys.length === 0) invalid('Match expression name not found', path);
  if (keys.length > 1) invalid('Only one key allowed in match expression', path);
  const op = keys[0] as string;
  const arg = expr[op];
  switch (op) {
    case 'prefix': {
      if (isPlainObject(arg)) {
        const s = ignoreCaseOperand(arg, 'prefix', path);
        const lower = s.toLowerCase();
        return (v) => typeof v === 'string' && v.toLowerCase().startsWith(lower);
      }
      if (typeof arg !== 'string') invalid('prefix match pattern must be a string', path);
      return (v) => typeof v === 'string' && v.startsWith(arg);
    }
    case 'suffix': {
      if (isPlainObject(arg)) {
        const s = ignoreCaseOperand(arg, 'suffix', path);
        const lower = s.toLowerCase();
        return (v) => typeof v === 'string' && v.toLowerCase().endsWith(lower);
      }
      if (typeof arg !== 'string') invalid('suffix match pattern must be a string', path);
      return (v) => typeof v === 'string' && v.endsWith(arg);
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') invalid('equals-ignore-case match pattern must be a string', path);
      const lower = arg.toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lower;
    }
    case 'wildcard': {
      if (typeof arg !== 'string') invalid('wildcard match pattern must be a string', path);
      const re = wildcardRegExp(arg, path);
      return (v) => typeof v === 'string' && re.test(v);
    }
    case 'numeric':
      return compileNumeric(arg, path);
    case 'exists':
      if (typeof arg !== 'boolean') invalid('exists match pattern must be either true or false.', path);
      return arg;
    case 'cidr': {
      if (typeof arg !== 'string') invalid('cidr match pattern must be a string', path);
      const range = parseCidr(arg);
      if (!range) invalid(`Malformed CIDR, one '/' required and the IP must be valid: ${arg}`, path);
      return (v) => typeof v === 'string' && inCidr(range, v);
    }
    case 'anything-but':
      return compileAnythingBut(arg, path);
    default:
      return invalid(`Unrecognized match type ${op}`, path);
  }
}

function ignoreCaseOperand(arg: Record<string, unknown>, op: string, path: string[]): string {
  const keys = Object.keys(arg);
  if (keys.length !== 1) invalid('Only one key allowed in match expression', path);
  if (keys[0] !== 'equals-ignore-case') invalid(`Unsupported ${op} pattern: ${keys[0]}`, path);
  const s = arg['equals-ignore-case'];
  if (typeof s !== 'string') invalid('equals-ignore-case match pattern must be a string', path);
  return s;
}

function compileNumeric(arg: unknown, path: string[]): LeafTest {
  if (!Array.isArray(arg)) invalid('Value of numeric must be an array.', path);
  const [op1, n1, op2, n2, ...rest] = arg as unknown[];
  if (typeof op1 !== 'string') invalid(`Invalid member in numeric match: ${JSON.stringify(op1)}`, path);
  if (typeof n1 !== 'number' || !Number.isFinite(n1)) invalid(`Value of ${op1} must be numeric`, path);
  if (rest.length > 0) invalid('Too many elements in numeric expression', path);
  const cmp = (op: string, n: number): LeafTest | undefined => {
    switch (op) {
      case '=':
        return (v) => v === n;
      case '>':
        return (v) => (v as number) > n;
      case '>=':
        return (v) => (v as number) >= n;
      case '<':
        return (v) => (v as number) < n;
      case '<=':
        return (v) => (v as number) <= n;
      default:
        return undefined;
    }
  };
  const first = cmp(op1, n1);
  if (!first) invalid(`Unrecognized numeric range operator: ${op1}`, path);
  if (op2 === undefined) {
    if (n2 !== undefined) invalid('Too many elements in numeric expression', path);
    return (v) => typeof v === 'number' && first(v);
  }
  // a range is a lower bound (> or >=) followed by an upper bound (< or <=), bottom below top
  if (op1 === '=' || op1 === '<' || op1 === '<=') invalid('Too many elements in numeric expression', path);
  if (typeof op2 !== 'string') invalid(`Bad value in numeric range: ${JSON.stringify(op2)}`, path);
  if (op2 !== '<' && op2 !== '<=') invalid(`Bad numeric range operator: ${op2}`, path);
  if (typeof n2 !== 'number' || !Number.isFinite(n2)) invalid(`Value of ${op2} must be numeric`, path);
  if (!(n1 < n2)) invalid('Bottom must be less than top', path);
  const second = cmp(op2, n2) as LeafTest;
  return (v) => typeof v === 'number' && first(v) && second(v);
}

function compileAnythingBut(arg: unknown, path: string[]): LeafTest {
  if (isPlainObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1) invalid('Only one key allowed in match expression', path);
    const op = keys[0] as string;
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(op)) invalid(`Unsupported anything-but pattern: ${op}`, path);
    const raw = arg[op];
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length === 0) invalid('Empty arrays are not allowed', path);
    for (const s of list) {
      if (typeof s !== 'string') {
        invalid(
          op === 'equals-ignore-case'
            ? 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.'
            : `${op} match pattern must be a string`,
          path,
        );
      }
    }
    const strings = list as string[];
    let excluded: (s: string) => boolean;
    switch (op) {
      case 'prefix':
      case 'suffix':
        if (strings.some((s) => s === '')) invalid('Null prefix/suffix not allowed', path);
        excluded = op === 'prefix' ? (s) => strings.some((p) => s.startsWith(p)) : (s) => strings.some((p) => s.endsWith(p));
        break;
      case 'equals-ignore-case': {
        const lower = new Set(strings.map((s) => s.toLowerCase()));
        excluded = (s) => lower.has(s.toLowerCase());
        break;
      }
      default: {
        // wildcard
        const res = strings.map((s) => wildcardRegExp(s, path));
        excluded = (s) => res.some((re) => re.test(s));
      }
    }
    // only strings can be excluded by a string operator: any other leaf value passes
    return (v) => typeof v !== 'string' || !excluded(v);
  }
  if (Array.isArray(arg)) {
    if (arg.length === 0) invalid('Empty arrays are not allowed', path);
    const allStrings = arg.every((x) => typeof x === 'string');
    const allNumbers = arg.every((x) => typeof x === 'number');
    if (!allStrings && !allNumbers) {
      invalid(
        arg.some((x) => typeof x !== 'string' && typeof x !== 'number')
          ? 'Inside anything but list, start|null|boolean is not supported.'
          : 'Inside anything but list, either all values are number or string, mixed type is not supported',
        path,
      );
    }
    const set = new Set<unknown>(arg);
    return (v) => !set.has(v);
  }
  if (typeof arg === 'string' || typeof arg === 'number') return (v) => v !== arg;
  return invalid('Value of anything-but must be an array or single string/number value.', path);
}

/**
 * `*` matches any run of characters (none included); `\*` is a literal asterisk and `\\` a literal backslash;
 * consecutive wildcards and any other escape are refused, as event-ruler does.
 */
function wildcardRegExp(pattern: string, path: string[]): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') invalid(`Invalid escape character at pos ${i + 1} of wildcard pattern ${pattern}`, path);
      re += next === '*' ? '\\*' : '\\\\';
      i++;
    } else if (c === '*') {
      if (pattern[i + 1] === '*') invalid(`Consecutive wildcard characters at pos ${i + 1} of wildcard pattern ${pattern}`, path);
      re += '.*';
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`, 's');
}

// ---------------------------------------------------------------------------------------------------------------
// CIDR (IPv4 and IPv6)

interface CidrRange {
  v6: boolean;
  base: bigint;
  mask: bigint;
}

function ipToBigInt(ip: string): { v6: boolean; value: bigint } | undefined {
  if (isIPv4(ip)) {
    return { v6: false, value: ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  if (!isIPv6(ip)) return undefined;
  let text = ip;
  // an embedded dotted quad (::ffff:10.0.0.1) becomes two hex groups
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipToBigInt(dotted[1] as string);
    if (!v4) return undefined;
    text = `${text.slice(0, dotted.index)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  return { v6: true, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const ip = ipToBigInt(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const width = ip.v6 ? 128 : 32;
  const bits = Number(bitsText);
  if (bits > width) return undefined;
  const all = (1n << BigInt(width)) - 1n;
  const mask = bits === 0 ? 0n : (all << BigInt(width - bits)) & all;
  return { v6: ip.v6, base: ip.value & mask, mask };
}

function inCidr(range: CidrRange, value: string): boolean {
  const ip = ipToBigInt(value);
  return !!ip && ip.v6 === range.v6 && (ip.value & range.mask) === range.base;
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

const compiledCache = new WeakMap<object, NodeTest>();

/** Compile a pattern once (validating it) into a predicate over events. */
export function compilePattern(pattern: unknown): (event: unknown) => boolean {
  if (isPlainObject(pattern)) {
    const cached = compiledCache.get(pattern);
    if (cached) return cached;
  }
  if (!isPlainObject(pattern)) fail('Event pattern is not valid. Reason: Filter is not an object');
  const test = compileObject(pattern, [], false);
  compiledCache.set(pattern, test);
  return test;
}

/**
 * Throw AwsError('InvalidEventPatternException') with the reason and the pattern path when PutRule would refuse
 * the pattern: not an object, empty arrays or objects, a leaf that is not an array, an unknown operator, a
 * malformed numeric range, mixed anything-but lists, consecutive wildcards, a bad CIDR, a `$or` of fewer than two
 * objects, ...
 */
export function validatePattern(pattern: unknown): asserts pattern is EventPattern {
  compilePattern(pattern);
}

/** Parse and validate the JSON text of a pattern (an events/*.json file, PutRule's EventPattern). */
export function parsePattern(text: string): EventPattern {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    fail(`Event pattern is not valid. Reason: ${(err as Error).message}`);
  }
  validatePattern(value);
  return value;
}

/** Whether `event` matches `pattern` with EventBridge's semantics (the pattern is validated first). */
export function matches(pattern: object, event: object): boolean {
  return compilePattern(pattern)(event);
}
