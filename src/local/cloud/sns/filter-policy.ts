/**
 * SNS subscription filter policies (the operators SNS documents): exact string and number values, `prefix`,
 * `suffix`, `equals-ignore-case`, `anything-but` (values, prefix or suffix), `numeric` ranges, `exists`, and
 * `$or`; AND across keys, OR within a key's list. Scope `MessageAttributes` (default) matches the message
 * attributes; `MessageBody` matches the JSON message body, nested keys included. `cidr` is not supported.
 */

export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';
export type FilterPolicy = Record<string, unknown>;

/** A message attribute as Publish carries it. */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  /** base64 */
  BinaryValue?: string;
}

export class FilterPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterPolicyError';
  }
}

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);
const MAX_COMBINATIONS = 150;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse and check a FilterPolicy attribute value; an empty string or `{}` means no policy (undefined). */
export function parseFilterPolicy(text: string, scope: FilterPolicyScope): FilterPolicy | undefined {
  if (text.trim() === '') return undefined;
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw new FilterPolicyError('failed to parse JSON');
  }
  if (!isObject(policy)) throw new FilterPolicyError('the policy must be a JSON object');
  if (Object.keys(policy).length === 0) return undefined;
  const combinations = checkObject(policy, scope, 0);
  if (combinations > MAX_COMBINATIONS) {
    throw new FilterPolicyError(`Filter policy is too complex: ${combinations} combinations, at most ${MAX_COMBINATIONS}`);
  }
  return policy;
}

/** Checks a policy object; returns its number of value combinations (the quantity SNS limits). */
function checkObject(policy: Record<string, unknown>, scope: FilterPolicyScope, depth: number): number {
  let total = 1;
  for (const [key, value] of Object.entries(policy)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        throw new FilterPolicyError('$or must be a list of at least two policy objects');
      }
      total *= value.reduce((n: number, branch) => n + checkObject(branch as Record<string, unknown>, scope, depth), 0);
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new FilterPolicyError(`${key}: the list of values must not be empty`);
      for (const condition of value) checkCondition(key, condition);
      total *= value.length;
    } else if (isObject(value)) {
      if (scope === 'MessageAttributes') {
        throw new FilterPolicyError(`${key}: nested keys need FilterPolicyScope MessageBody; attribute policies map names to lists`);
      }
      total *= checkObject(value, scope, depth + 1);
    } else {
      throw new FilterPolicyError(`${key}: the value must be a list, e.g. {"${key}": ["value"]}`);
    }
  }
  return total;
}

function checkCondition(key: string, c: unknown): void {
  if (c === null || typeof c === 'string' || typeof c === 'boolean') return;
  if (typeof c === 'number') {
    if (!Number.isFinite(c)) throw new FilterPolicyError(`${key}: numbers must be finite`);
    return;
  }
  if (!isObject(c)) throw new FilterPolicyError(`${key}: a value must be a string, number, boolean, null or an operator object`);
  const ops = Object.keys(c);
  const op = ops[0] as string;
  if (ops.length !== 1) throw new FilterPolicyError(`${key}: an operator object has exactly one operator`);
  if (op === 'cidr') throw new FilterPolicyError(`${key}: the cidr operator is not supported locally`);
  if (!OPERATORS.has(op)) throw new FilterPolicyError(`${key}: unrecognized match type ${op}`);
  const arg = c[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new FilterPolicyError(`${key}: ${op} match pattern must be a string`);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') throw new FilterPolicyError(`${key}: exists match pattern must be either true or false`);
      return;
    case 'numeric':
      checkNumeric(key, arg);
      return;
    case 'anything-but': {
      if (typeof arg === 'string' || typeof arg === 'number') return;
      if (Array.isArray(arg)) {
        if (arg.length === 0 || !arg.every((v) => typeof v === 'string' || typeof v === 'number')) {
          throw new FilterPolicyError(`${key}: anything-but takes a value, a list of strings or numbers, or {"prefix"|"suffix": ...}`);
        }
        return;
      }
      if (isObject(arg) && Object.keys(arg).length === 1 && (typeof arg.prefix === 'string' || typeof arg.suffix === 'string')) return;
      throw new FilterPolicyError(`${key}: anything-but takes a value, a list of strings or numbers, or {"prefix"|"suffix": ...}`);
    }
  }
}

function checkNumeric(key: string, arg: unknown): void {
  const bad = () => new FilterPolicyError(`${key}: numeric takes [op, number] or [lower-op, number, upper-op, number], ops = < <= > >=`);
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw bad();
  for (let i = 0; i < arg.length; i += 2) {
    if (typeof arg[i] !== 'string' || typeof arg[i + 1] !== 'number' || !['=', '<', '<=', '>', '>='].includes(arg[i] as string)) throw bad();
  }
  if (arg.length === 4) {
    if (!['>', '>='].includes(arg[0] as string) || !['<', '<='].includes(arg[2] as string) || (arg[1] as number) >= (arg[3] as number)) throw bad();
  }
}

/** A value as the matcher sees it: strings and numbers keep their type, so "5" never equals 5. */
type Value = string | number | boolean | null;

/** Values of one key: undefined when the key is absent. */
type Lookup = (path: string[]) => Value[] | undefined;

function attributeValues(attributes: Record<string, MessageAttribute>): Lookup {
  return ([name]) => {
    const a = name === undefined ? undefined : attributes[name];
    if (!a || a.StringValue === undefined) return undefined; // Binary attributes are not matched
    if (a.DataType === 'String.Array') {
      try {
        const arr = JSON.parse(a.StringValue) as unknown;
        if (Array.isArray(arr)) return arr.filter((v): v is Value => v === null || ['string', 'number', 'boolean'].includes(typeof v));
      } catch {
        return [];
      }
      return [];
    }
    if (a.DataType === 'Number' || a.DataType.startsWith('Number.')) return [Number(a.StringValue)];
    return [a.StringValue];
  };
}

function bodyValues(body: unknown): Lookup {
  return (path) => {
    let node: unknown = body;
    for (const key of path) {
      if (!isObject(node) || !(key in node)) return undefined;
      node = node[key];
    }
    const leaves = Array.isArray(node) ? node : [node];
    return leaves.filter((v): v is Value => v === null || ['string', 'number', 'boolean'].includes(typeof v));
  };
}

function matchCondition(condition: unknown, values: Value[] | undefined): boolean {
  if (isObject(condition) && 'exists' in condition) return condition.exists === (values !== undefined);
  if (values === undefined) return false;
  return values.some((v) => matchValue(condition, v));
}

function matchValue(c: unknown, v: Value): boolean {
  if (!isObject(c)) return c === v;
  if (typeof c.prefix === 'string') return typeof v === 'string' && v.startsWith(c.prefix);
  if (typeof c.suffix === 'string') return typeof v === 'string' && v.endsWith(c.suffix);
  if (typeof c['equals-ignore-case'] === 'string') return typeof v === 'string' && v.toLowerCase() === c['equals-ignore-case'].toLowerCase();
  if (Array.isArray(c.numeric)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return false;
    const n = c.numeric as (string | number)[];
    for (let i = 0; i < n.length; i += 2) if (!compare(v, n[i] as string, n[i + 1] as number)) return false;
    return true;
  }
  if ('anything-but' in c) {
    const ab = c['anything-but'];
    if (isObject(ab)) {
      if (typeof ab.prefix === 'string') return typeof v === 'string' && !v.startsWith(ab.prefix);
      if (typeof ab.suffix === 'string') return typeof v === 'string' && !v.endsWith(ab.suffix);
      return false;
    }
    return !(Array.isArray(ab) ? ab : [ab]).includes(v);
  }
  return false;
}

function compare(v: number, op: string, n: number): boolean {
  switch (op) {
    case '=':
      return v === n;
    case '<':
      return v < n;
    case '<=':
      return v <= n;
    case '>':
      return v > n;
    case '>=':
      return v >= n;
    default:
      return false;
  }
}

function matchObject(policy: Record<string, unknown>, lookup: Lookup, path: string[]): boolean {
  for (const [key, value] of Object.entries(policy)) {
    if (key === '$or') {
      if (!(value as Record<string, unknown>[]).some((branch) => matchObject(branch, lookup, path))) return false;
    } else if (Array.isArray(value)) {
      const values = lookup([...path, key]);
      if (!value.some((condition) => matchCondition(condition, values))) return false;
    } else if (!matchObject(value as Record<string, unknown>, lookup, [...path, key])) {
      return false;
    }
  }
  return true;
}

/** Whether a message passes a subscription's filter policy (no policy: every message passes). */
export function matchesFilterPolicy(
  policy: FilterPolicy | undefined,
  scope: FilterPolicyScope,
  message: { attributes: Record<string, MessageAttribute>; body: string },
): boolean {
  if (!policy) return true;
  if (scope === 'MessageAttributes') return matchObject(policy, attributeValues(message.attributes), []);
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return false; // a body policy filters out a message that is not a JSON object
  }
  return isObject(body) && matchObject(policy, bodyValues(body), []);
}
