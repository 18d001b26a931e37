import type { Cfn, Statement } from '../../../../deploy/iam.ts';
import type { LocalRefs } from '../cloudformation/index.ts';

/**
 * IAM policy evaluation for the local cloud, on the statements deploy/iam.ts generates for the template (the
 * same source): an action and a resource are allowed when a statement's Action and Resource patterns match
 * them (`*` and `?` wildcards, as IAM reads them) and its Condition holds for the request's context keys. A
 * condition on a key the request does not carry does not hold (IAM's rule for every operator but
 * `Null: true` and `...IfExists`). There is no Deny in the generated policies, so no match is an implicit deny.
 */

export interface ResolvedStatement {
  actions: string[];
  resources: string[];
  condition?: Statement['Condition'];
  sid?: string;
}

/** A CloudFormation value of a policy resolved to its local ARN pattern. */
export function resolvePattern(v: Cfn, o: { refs: LocalRefs; region: string; accountId: string; stack: string }): string {
  if (typeof v === 'string') return v;
  const sub = v['Fn::Sub'];
  if (typeof sub === 'string') {
    return sub.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
      if (name === 'AWS::Partition') return 'aws';
      if (name === 'AWS::Region') return o.region;
      if (name === 'AWS::AccountId') return o.accountId;
      if (name === 'AWS::StackName') return o.stack;
      if (name === 'AWS::URLSuffix') return 'amazonaws.com';
      const [id, attribute] = name.split('.');
      const value = attribute ? o.refs.getAtt(String(id), attribute) : o.refs.ref(String(id));
      if (value === undefined) throw new Error(`local IAM: cannot resolve \${${name}} in ${sub}`);
      return value;
    });
  }
  const ref = v.Ref;
  if (typeof ref === 'string') {
    const value = o.refs.ref(ref);
    if (value === undefined) throw new Error(`local IAM: cannot resolve Ref ${ref}`);
    return value;
  }
  const att = v['Fn::GetAtt'];
  if (Array.isArray(att)) {
    const value = o.refs.getAtt(String(att[0]), String(att[1]));
    if (value === undefined) throw new Error(`local IAM: cannot resolve Fn::GetAtt ${att.join('.')}`);
    return value;
  }
  throw new Error(`local IAM: cannot resolve ${JSON.stringify(v)}`);
}

const globCache = new Map<string, RegExp>();
/** IAM's wildcards: `*` any run of characters, `?` one; action names match case-insensitively. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? 'i' : 'c'}${pattern}`;
  let re = globCache.get(key);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
    globCache.set(key, re);
  }
  return re.test(value);
}

function conditionHolds(condition: Statement['Condition'], context: Record<string, string>): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const values = (Array.isArray(expected) ? expected : [expected]).map(String);
      const actual = context[key];
      if (operator === 'Null') {
        // Null: "true" holds when the key is absent, "false" when it is present
        if (values.includes('true') !== (actual === undefined)) return false;
        continue;
      }
      if (actual === undefined) return false;
      if (operator === 'StringEquals' && !values.includes(actual)) return false;
      if (operator === 'StringLike' && !values.some((p) => globMatch(p, actual))) return false;
      if (!['StringEquals', 'StringLike'].includes(operator)) return false;
    }
  }
  return true;
}

export type Decision = { allowed: true; statement: ResolvedStatement } | { allowed: false };

/**
 * Is `action` on `resource` allowed? `resource` undefined: an action without a resource the request names
 * (e.g. SendTaskSuccess, whose task token stands for the state machine): any statement granting the action decides.
 */
export function evaluate(statements: readonly ResolvedStatement[], action: string, resource: string | undefined, context: Record<string, string> = {}): Decision {
  for (const s of statements) {
    if (!s.actions.some((a) => globMatch(a, action, true))) continue;
    if (resource !== undefined && !s.resources.some((r) => globMatch(r, resource))) continue;
    if (s.condition && !conditionHolds(s.condition, context)) continue;
    return { allowed: true, statement: s };
  }
  return { allowed: false };
}
