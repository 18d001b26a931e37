import { describe, expect, it } from 'vitest';
import { matches, parsePattern, validatePattern } from '../../../../src/local/cloud/bus/matcher.ts';
import { AwsError } from '../../../../src/local/cloud/protocol.ts';

/*
 * The pattern examples of AWS's EventBridge User Guide, each with an event it matches and a near miss:
 * - OPS   "Comparison operators for use in event patterns in Amazon EventBridge"
 *         https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * - CF    "Content filtering in Amazon EventBridge event patterns"
 *         https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 * - EP    "Amazon EventBridge event patterns"
 *         https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * - ARR   "Arrays in Amazon EventBridge event patterns"
 *         https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 * - NULL  "Matching null values and empty strings in Amazon EventBridge event patterns"
 *         https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
 * - RULER aws/event-ruler README (the engine EventBridge runs), for `$or` and array-consistent matching
 *         https://github.com/aws/event-ruler
 */

/** The EC2 sample event of EP. */
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

/** The sample event of RULER / CF's complex example. */
const rulerEvent = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...rulerEvent, detail: { ...rulerEvent.detail, ...detail } });

interface Row {
  doc: string;
  operator: string;
  pattern: object;
  match: object;
  nearMiss: object;
}

const table: Row[] = [
  // EP
  {
    doc: 'EP',
    operator: 'exact values, nested fields',
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
    match: ec2Event,
    nearMiss: { ...ec2Event, detail: { ...ec2Event.detail, state: 'running' } },
  },
  {
    doc: 'EP',
    operator: 'several values for a field (OR)',
    pattern: { source: ['aws.ec2', 'aws.fargate'] },
    match: { source: 'aws.fargate' },
    nearMiss: { source: 'aws.ecs' },
  },
  // OPS, one row per operator of the summary table
  {
    doc: 'OPS',
    operator: 'and',
    pattern: { Location: ['New York'], Day: ['Monday'] },
    match: { Location: 'New York', Day: 'Monday' },
    nearMiss: { Location: 'New York', Day: 'Tuesday' },
  },
  {
    doc: 'OPS',
    operator: 'anything-but',
    pattern: { state: [{ 'anything-but': 'initializing' }] },
    match: { state: 'running' },
    nearMiss: { state: 'initializing' },
  },
  {
    doc: 'OPS',
    operator: 'anything-but (begins with)',
    pattern: { Region: [{ 'anything-but': { prefix: 'us-' } }] },
    match: { Region: 'eu-west-1' },
    nearMiss: { Region: 'us-east-1' },
  },
  {
    doc: 'OPS',
    operator: 'anything-but (ends with)',
    pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
    match: { FileName: 'photo.jpg' },
    nearMiss: { FileName: 'photo.png' },
  },
  {
    doc: 'OPS',
    operator: 'anything-but (ignore case)',
    pattern: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
    match: { state: 'running' },
    nearMiss: { state: 'INITIALIZING' },
  },
  {
    doc: 'OPS',
    operator: 'anything-but using a wildcard',
    pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
    match: { FilePath: '/usr/bin/env' },
    nearMiss: { FilePath: '/usr/lib/libc.so' },
  },
  {
    doc: 'OPS',
    operator: 'begins with',
    pattern: { Region: [{ prefix: 'us-' }] },
    match: { Region: 'us-east-1' },
    nearMiss: { Region: 'eu-west-1' },
  },
  {
    doc: 'OPS',
    operator: 'begins with (ignore case)',
    pattern: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
    match: { service: 'EventBridge' },
    nearMiss: { service: 'Lambda' },
  },
  {
    doc: 'OPS',
    operator: 'empty',
    pattern: { LastName: [''] },
    match: { LastName: '' },
    nearMiss: { LastName: null },
  },
  {
    doc: 'OPS',
    operator: 'equals',
    pattern: { Name: ['Alice'] },
    match: { Name: 'Alice' },
    nearMiss: { Name: 'alice' },
  },
  {
    doc: 'OPS',
    operator: 'equals (ignore case)',
    pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
    match: { Name: 'ALICE' },
    nearMiss: { Name: 'Alicia' },
  },
  {
    doc: 'OPS',
    operator: 'ends with',
    pattern: { FileName: [{ suffix: '.png' }] },
    match: { FileName: 'image.png' },
    nearMiss: { FileName: 'image.png.jpg' },
  },
  {
    doc: 'OPS',
    operator: 'ends with (ignore case)',
    pattern: { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] },
    match: { service: 'EVENTBRIDGE' },
    nearMiss: { service: 'EventBus' },
  },
  {
    doc: 'OPS',
    operator: 'exists',
    pattern: { ProductName: [{ exists: true }] },
    match: { ProductName: 'Widget' },
    nearMiss: { Product: 'Widget' },
  },
  {
    doc: 'OPS',
    operator: 'does not exist',
    pattern: { ProductName: [{ exists: false }] },
    match: { Product: 'Widget' },
    nearMiss: { ProductName: 'Widget' },
  },
  {
    doc: 'OPS',
    operator: 'not',
    pattern: { Weather: [{ 'anything-but': ['Raining'] }] },
    match: { Weather: 'Sunny' },
    nearMiss: { Weather: 'Raining' },
  },
  {
    doc: 'OPS',
    operator: 'null',
    pattern: { UserID: [null] },
    match: { UserID: null },
    nearMiss: { UserID: '' },
  },
  {
    doc: 'OPS',
    operator: 'numeric (equals)',
    pattern: { Price: [{ numeric: ['=', 100] }] },
    match: { Price: 100 },
    nearMiss: { Price: '100' },
  },
  {
    doc: 'OPS',
    operator: 'numeric (range)',
    pattern: { Price: [{ numeric: ['>', 10, '<=', 20] }] },
    match: { Price: 20 },
    nearMiss: { Price: 10 },
  },
  {
    doc: 'OPS',
    operator: 'or',
    pattern: { PaymentType: ['Credit', 'Debit'] },
    match: { PaymentType: 'Debit' },
    nearMiss: { PaymentType: 'Cash' },
  },
  {
    doc: 'OPS',
    operator: 'or (multiple fields)',
    pattern: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
    match: { Location: 'Paris', Day: 'Monday' },
    nearMiss: { Location: 'Paris', Day: 'Friday' },
  },
  {
    doc: 'OPS',
    operator: 'wildcard',
    pattern: { FileName: [{ wildcard: 'dir/*.png' }] },
    match: { FileName: 'dir/cat.png' },
    nearMiss: { FileName: 'other/cat.png' },
  },
  {
    doc: 'CF',
    operator: 'wildcard (several)',
    pattern: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    match: { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' },
    nearMiss: { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' },
  },
  // CF
  {
    doc: 'CF',
    operator: 'prefix',
    pattern: { time: [{ prefix: '2017-10-02' }] },
    match: { time: '2017-10-02T18:43:48Z' },
    nearMiss: { time: '2017-10-03T18:43:48Z' },
  },
  {
    doc: 'CF',
    operator: 'anything-but (number)',
    pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    match: withDetail({ 'x-limit': 124 }),
    nearMiss: withDetail({ 'x-limit': 123 }),
  },
  {
    doc: 'CF',
    operator: 'anything-but (list of strings)',
    pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    match: rulerEvent,
    nearMiss: withDetail({ state: 'overloaded' }),
  },
  {
    doc: 'CF',
    operator: 'anything-but (list of numbers)',
    pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    match: rulerEvent,
    nearMiss: withDetail({ 'x-limit': 200 }),
  },
  {
    doc: 'CF',
    operator: 'anything-but (prefix)',
    pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    match: rulerEvent,
    nearMiss: withDetail({ state: 'initializing' }),
  },
  {
    doc: 'CF',
    operator: 'anything-but (prefix aws.)',
    pattern: { source: [{ 'anything-but': { prefix: 'aws.' } }] },
    match: { source: 'com.example.orders' },
    nearMiss: { source: 'aws.mgn' },
  },
  {
    doc: 'CF',
    operator: 'numeric (several fields)',
    pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
    match: rulerEvent,
    nearMiss: withDetail({ 'c-count': 6 }),
  },
  {
    doc: 'CF',
    operator: 'cidr (IPv4)',
    pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    match: { detail: { sourceIPAddress: '10.0.0.255' } },
    nearMiss: { detail: { sourceIPAddress: '10.0.1.0' } },
  },
  {
    doc: 'CF',
    operator: 'cidr (IPv6)',
    pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
    match: { detail: { sourceIPAddress: '2001:db8:0:0:1::ff' } },
    nearMiss: { detail: { sourceIPAddress: '2001:db9::1' } },
  },
  {
    doc: 'CF',
    operator: 'exists (true, leaf only)',
    pattern: { detail: { state: [{ exists: true }] } },
    match: { ...ec2Event, detail: { 'instance-id': 'i-abcd1111', state: 'pending' } },
    nearMiss: { ...ec2Event, detail: { 'c-count': { c1: 100 } } },
  },
  {
    doc: 'CF',
    operator: 'exists (false, an object is no leaf)',
    pattern: { detail: { 'c-count': [{ exists: false }] } },
    match: { ...ec2Event, detail: { state: 'running', 'c-count': { c1: 100 } } },
    nearMiss: { ...ec2Event, detail: { state: 'running', 'c-count': 5 } },
  },
  {
    doc: 'CF',
    operator: 'complex example',
    pattern: {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    },
    match: rulerEvent,
    nearMiss: withDetail({ 'x-limit': 300 }),
  },
  // ARR
  {
    doc: 'ARR',
    operator: 'array in the event (non-empty intersection)',
    pattern: {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    },
    match: {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    },
    nearMiss: {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
      ],
    },
  },
  // NULL
  {
    doc: 'NULL',
    operator: 'empty string',
    pattern: { detail: { eventVersion: [''] } },
    match: { detail: { eventVersion: '', responseElements: null } },
    nearMiss: { detail: { eventVersion: null } },
  },
  {
    doc: 'NULL',
    operator: 'null value',
    pattern: { detail: { responseElements: [null] } },
    match: { detail: { eventVersion: '', responseElements: null } },
    nearMiss: { detail: { eventVersion: '' } },
  },
  // RULER
  {
    doc: 'RULER',
    operator: '$or with an AND inside',
    pattern: {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'] }, { scope: ['Service'] }],
    },
    match: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' },
    nearMiss: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/RDS' },
  },
  {
    doc: 'RULER',
    operator: 'array of objects (array-consistent)',
    pattern: { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
    match: { employees: [{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }] },
    nearMiss: { employees: [{ firstName: 'Anna', lastName: 'Doe' }, { firstName: 'Peter', lastName: 'Smith' }] },
  },
  {
    doc: 'RULER',
    operator: 'array of arrays of objects',
    pattern: { employees: { firstName: ['Peter'] } },
    match: { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]] },
    nearMiss: { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }]] },
  },
];

describe('matches', () => {
  it.each(table)('matches the $doc example of $operator and refuses its near miss', (row) => {
    expect(matches(row.pattern, row.match)).toBe(true);
    expect(matches(row.pattern, row.nearMiss)).toBe(false);
  });

  it('matches only on the last of duplicate keys when a pattern names a key twice (CF note)', () => {
    const pattern = parsePattern('{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}');
    expect(matches(pattern, { detail: { location: 'eu-west' } })).toBe(true);
    expect(matches(pattern, { detail: { location: 'us-east' } })).toBe(false);
  });

  it('refuses anything-but, numeric and string operators when the field is missing', () => {
    for (const value of [{ 'anything-but': 'x' }, { numeric: ['>', 0] }, { prefix: '' }, { wildcard: '*' }, { exists: true }]) {
      expect(matches({ detail: { f: [value] } }, { detail: {} })).toBe(false);
    }
  });

  it('matches exists:false when the parent object itself is missing', () => {
    expect(matches({ detail: { f: [{ exists: false }] } }, { source: 'x' })).toBe(true);
  });

  it('matches an empty array in the event only with exists:false', () => {
    expect(matches({ resources: [{ exists: false }] }, { resources: [] })).toBe(true);
    expect(matches({ resources: [{ exists: true }] }, { resources: [] })).toBe(false);
  });

  it('matches booleans exactly and never a string that spells them', () => {
    expect(matches({ ok: [true] }, { ok: true })).toBe(true);
    expect(matches({ ok: [true] }, { ok: 'true' })).toBe(false);
    expect(matches({ n: [5] }, { n: 5.0 })).toBe(true);
    expect(matches({ n: [5] }, { n: '5' })).toBe(false);
  });

  it('matches any element of an array for operators too', () => {
    expect(matches({ tags: [{ prefix: 'env:' }] }, { tags: ['team:a', 'env:prod'] })).toBe(true);
    expect(matches({ sizes: [{ numeric: ['>=', 10] }] }, { sizes: [1, 2, 30] })).toBe(true);
    expect(matches({ sizes: [{ numeric: ['>=', 10] }] }, { sizes: [1, 2, 3] })).toBe(false);
  });

  it('matches a literal asterisk or backslash when the wildcard escapes it', () => {
    expect(matches({ f: [{ wildcard: 'a\\*b' }] }, { f: 'a*b' })).toBe(true);
    expect(matches({ f: [{ wildcard: 'a\\*b' }] }, { f: 'axxb' })).toBe(false);
    expect(matches({ f: [{ wildcard: 'a\\\\*' }] }, { f: 'a\\anything' })).toBe(true);
    expect(matches({ f: [{ wildcard: '*' }] }, { f: '' })).toBe(true);
  });

  it('matches anything-but string operators on non-string values, which they cannot exclude', () => {
    expect(matches({ f: [{ 'anything-but': { prefix: 'init' } }] }, { f: 5 })).toBe(true);
    expect(matches({ f: [{ 'anything-but': { prefix: ['a', 'b'] } }] }, { f: 'bee' })).toBe(false);
  });

  it('matches a nested $or inside a $or branch', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] }],
    };
    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/EC2', spaceId: 1000 })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/EC2', spaceId: 1001 })).toBe(false);
  });
});

describe('validatePattern', () => {
  const refused: [string, unknown, RegExp][] = [
    ['a pattern that is not an object', ['aws.mgn'], /Filter is not an object/],
    ['an empty array', { source: [] }, /Empty arrays are not allowed at source/],
    ['an empty object', { detail: {} }, /Empty objects are not allowed at detail/],
    ['a bare value instead of an array', { source: 'aws.mgn' }, /"source" must be an object or an array/],
    ['an array inside a value list', { source: [['aws.mgn']] }, /Match value must be String, number, true, false, or null/],
    ['an unknown operator', { source: [{ contains: 'mgn' }] }, /Unrecognized match type contains at source/],
    ['two operators in one expression', { source: [{ prefix: 'a', suffix: 'b' }] }, /Only one key allowed/],
    ['a numeric range written upper bound first', { n: [{ numeric: ['<', 0, '>=', 10] }] }, /Too many elements in numeric expression/],
    ['a numeric range whose bottom is not below its top', { n: [{ numeric: ['>', 10, '<', 5] }] }, /Bottom must be less than top/],
    ['a numeric operand that is not a number', { n: [{ numeric: ['>', '5'] }] }, /Value of > must be numeric/],
    ['an unknown numeric operator', { n: [{ numeric: ['!=', 5] }] }, /Unrecognized numeric range operator: !=/],
    ['an anything-but list of mixed types', { s: [{ 'anything-but': ['a', 1] }] }, /mixed type is not supported/],
    ['an anything-but of an unsupported operator', { s: [{ 'anything-but': { numeric: ['>', 1] } }] }, /Unsupported anything-but pattern: numeric/],
    ['an empty anything-but prefix', { s: [{ 'anything-but': { prefix: '' } }] }, /Null prefix\/suffix not allowed/],
    ['consecutive wildcards', { s: [{ wildcard: 'a**b' }] }, /Consecutive wildcard characters/],
    ['a wildcard escaping another character', { s: [{ wildcard: 'a\\b' }] }, /Invalid escape character/],
    ['a prefix that is not a string', { s: [{ prefix: 5 }] }, /prefix match pattern must be a string/],
    ['a prefix object other than equals-ignore-case', { s: [{ prefix: { suffix: 'x' } }] }, /Unsupported prefix pattern: suffix/],
    ['exists that is not a boolean', { s: [{ exists: 'yes' }] }, /exists match pattern must be either true or false/],
    ['a malformed CIDR', { ip: [{ cidr: '10.0.0.0' }] }, /Malformed CIDR/],
    ['a CIDR with too many bits', { ip: [{ cidr: '10.0.0.0/33' }] }, /Malformed CIDR/],
    ['a $or of a single object', { $or: [{ a: ['x'] }] }, /at least 2 Objects in \$or/],
    ['a $or that is not an array', { $or: { a: ['x'] } }, /It must be an Array followed with \$or/],
    ['an operator name as a field inside $or', { $or: [{ prefix: ['x'] }, { a: ['y'] }] }, /reserved field name/],
  ];

  it.each(refused)('throws InvalidEventPatternException for %s', (_name, pattern, message) => {
    let caught: unknown;
    try {
      validatePattern(pattern);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AwsError);
    expect((caught as AwsError).type).toBe('InvalidEventPatternException');
    expect((caught as AwsError).message).toMatch(/^Event pattern is not valid\. Reason: /);
    expect((caught as AwsError).message).toMatch(message);
  });

  it('accepts every pattern of the documentation table', () => {
    for (const row of table) expect(() => validatePattern(row.pattern)).not.toThrow();
  });

  it('throws InvalidEventPatternException for pattern text that is not JSON', () => {
    expect(() => parsePattern('{"source": [')).toThrow(/Event pattern is not valid/);
  });
});
