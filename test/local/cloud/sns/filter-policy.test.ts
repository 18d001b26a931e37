import { describe, expect, it } from 'vitest';
import { type MessageAttribute, matchesFilterPolicy, parseFilterPolicy } from '../../../../src/local/cloud/sns/filter-policy.ts';

const S = (v: string): MessageAttribute => ({ DataType: 'String', StringValue: v });
const N = (v: number | string): MessageAttribute => ({ DataType: 'Number', StringValue: String(v) });
const A = (v: unknown[]): MessageAttribute => ({ DataType: 'String.Array', StringValue: JSON.stringify(v) });

const byAttributes = (policy: object, attributes: Record<string, MessageAttribute>) =>
  matchesFilterPolicy(parseFilterPolicy(JSON.stringify(policy), 'MessageAttributes'), 'MessageAttributes', { attributes, body: 'x' });

describe('SNS filter policies on message attributes', () => {
  // policy, a message it matches, a near miss
  it.each<[string, object, Record<string, MessageAttribute>, Record<string, MessageAttribute>]>([
    ['exact string', { gate: ['finalize'] }, { gate: S('finalize') }, { gate: S('Finalize') }],
    ['one of several strings', { gate: ['go-no-go', 'finalize'] }, { gate: S('go-no-go') }, { gate: S('sign-off') }],
    ['exact number', { servers: [3] }, { servers: N('3.0') }, { servers: N(4) }],
    ['a string never equals a number', { servers: ['3'] }, { servers: S('3') }, { servers: N(3) }],
    ['prefix', { wave: [{ prefix: 'w-2026' }] }, { wave: S('w-2026-06') }, { wave: S('x-w-2026') }],
    ['suffix', { file: [{ suffix: '.png' }] }, { file: S('graph.png') }, { file: S('graph.png.txt') }],
    ['equals-ignore-case', { kind: [{ 'equals-ignore-case': 'ops' }] }, { kind: S('OPS') }, { kind: S('op') }],
    ['anything-but a list', { gate: [{ 'anything-but': ['sign-off', 'finalize'] }] }, { gate: S('go-no-go') }, { gate: S('finalize') }],
    ['anything-but a value', { gate: [{ 'anything-but': 'finalize' }] }, { gate: S('go-no-go') }, { gate: S('finalize') }],
    ['anything-but a number', { n: [{ 'anything-but': 100 }] }, { n: N(101) }, { n: N(100) }],
    ['anything-but a prefix', { wave: [{ 'anything-but': { prefix: 'test-' } }] }, { wave: S('prod-1') }, { wave: S('test-1') }],
    ['anything-but needs the attribute', { gate: [{ 'anything-but': ['x'] }] }, { gate: S('y') }, {}],
    ['numeric range', { lag: [{ numeric: ['>', 0, '<=', 150] }] }, { lag: N(150) }, { lag: N(150.5) }],
    ['numeric equals', { lag: [{ numeric: ['=', 301.5] }] }, { lag: N(301.5) }, { lag: N(301) }],
    ['numeric never matches a string', { lag: [{ numeric: ['>=', 0] }] }, { lag: N(0) }, { lag: S('5') }],
    ['exists true', { urgent: [{ exists: true }] }, { urgent: S('no') }, { other: S('x') }],
    ['exists false', { urgent: [{ exists: false }] }, { other: S('x') }, { urgent: S('no') }],
    ['String.Array: any element', { approvers: ['ops@example.com'] }, { approvers: A(['a@example.com', 'ops@example.com']) }, { approvers: A(['a@example.com']) }],
    ['String.Array: numbers are numbers', { codes: [{ numeric: ['>', 400] }] }, { codes: A([200, 503]) }, { codes: A(['503']) }],
    ['AND across keys', { gate: ['finalize'], env: ['prod'] }, { gate: S('finalize'), env: S('prod') }, { gate: S('finalize'), env: S('dev') }],
    ['$or', { $or: [{ gate: ['finalize'] }, { severity: [{ numeric: ['>=', 3] }] }] }, { severity: N(4) }, { gate: S('sign-off'), severity: N(2) }],
    ['custom String type', { tier: ['gold'] }, { tier: { DataType: 'String.tier', StringValue: 'gold' } }, { tier: { DataType: 'Binary', BinaryValue: 'Z29sZA==' } }],
  ])('%s', (_name, policy, match, miss) => {
    expect(byAttributes(policy, match)).toBe(true);
    expect(byAttributes(policy, miss)).toBe(false);
  });

  it('passes every message when there is no policy ("" or {})', () => {
    expect(parseFilterPolicy('', 'MessageAttributes')).toBeUndefined();
    expect(parseFilterPolicy('{}', 'MessageAttributes')).toBeUndefined();
    expect(matchesFilterPolicy(undefined, 'MessageAttributes', { attributes: {}, body: '' })).toBe(true);
  });

  it.each([
    ['not JSON', '{gate: 1}', /parse/],
    ['not an object', '["a"]', /object/],
    ['a bare value', '{"gate": "finalize"}', /list/],
    ['an empty list', '{"gate": []}', /empty/],
    ['an unknown operator', '{"gate": [{"wildcard": "a*"}]}', /unrecognized/],
    ['cidr', '{"ip": [{"cidr": "10.0.0.0/24"}]}', /not supported locally/],
    ['a bad numeric', '{"n": [{"numeric": ["<", 5, ">", 1]}]}', /numeric/],
    ['nested keys on attributes', '{"a": {"b": ["c"]}}', /MessageBody/],
    ['too many combinations', JSON.stringify({ a: [...'abcdefghijklm'], b: [...'abcdefghijklm'] }), /too complex/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseFilterPolicy(text, 'MessageAttributes')).toThrow(message);
  });
});

describe('SNS filter policies on the message body', () => {
  const byBody = (policy: object, body: unknown) =>
    matchesFilterPolicy(parseFilterPolicy(JSON.stringify(policy), 'MessageBody'), 'MessageBody', {
      attributes: {},
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('matches nested keys and arrays of the JSON body', () => {
    const policy = { detail: { state: ['READY_FOR_TEST'], lag: [{ numeric: ['<', 60] }] } };
    expect(byBody(policy, { detail: { state: 'READY_FOR_TEST', lag: 12 } })).toBe(true);
    expect(byBody(policy, { detail: { state: 'READY_FOR_TEST', lag: 90 } })).toBe(false);
    expect(byBody({ tags: ['a'] }, { tags: ['b', 'a'] })).toBe(true);
    expect(byBody({ ok: [true] }, { ok: true })).toBe(true);
    expect(byBody({ gone: [null] }, { gone: null })).toBe(true);
  });

  it('filters out a body that is not JSON', () => {
    expect(byBody({ a: ['b'] }, 'plain text')).toBe(false);
  });
});
