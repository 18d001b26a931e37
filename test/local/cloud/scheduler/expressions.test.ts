import { describe, expect, it } from 'vitest';
import { parseScheduleExpression, zonedTimeToUtc } from '../../../../src/local/cloud/scheduler/expressions.ts';

const utc = (iso: string) => Date.parse(iso);
const atIn = (expr: string, zone?: string) => {
  const p = parseScheduleExpression(expr, zone);
  if (p.kind !== 'at') throw new Error('expected at()');
  return new Date(p.at).toISOString();
};

describe('parseScheduleExpression', () => {
  it.each([
    ['at(2026-06-13T02:00:00)', 'UTC', '2026-06-13T02:00:00.000Z'],
    ['at(2026-06-13T02:00:00)', 'Europe/Paris', '2026-06-13T00:00:00.000Z'],
    ['at(2026-01-10T02:00:00)', 'Europe/Paris', '2026-01-10T01:00:00.000Z'],
    ['at(2026-06-13T02:00:00)', 'America/New_York', '2026-06-13T06:00:00.000Z'],
    ['at(2026-06-13T02:00:00)', 'Asia/Kolkata', '2026-06-12T20:30:00.000Z'],
    ['at(2028-02-29T23:59:59)', 'Pacific/Auckland', '2028-02-29T10:59:59.000Z'],
  ])('reads %s in %s as %s', (expr, zone, expected) => {
    expect(atIn(expr, zone)).toBe(expected);
  });

  it('takes the first occurrence of a wall time that happens twice when clocks go back', () => {
    // Europe/Paris, 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30 happens at 00:30Z and at 01:30Z
    expect(atIn('at(2026-10-25T02:30:00)', 'Europe/Paris')).toBe('2026-10-25T00:30:00.000Z');
    expect(atIn('at(2026-11-01T01:30:00)', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it.each([
    ['at(2026-03-29T02:30:00)', 'Europe/Paris'],
    ['at(2026-03-08T02:00:00)', 'America/New_York'],
    ['at(2026-10-04T02:15:00)', 'Australia/Lord_Howe'],
  ])('refuses %s in %s: the local time does not exist (clocks go forward)', (expr, zone) => {
    expect(() => parseScheduleExpression(expr, zone)).toThrow(/does not exist/);
  });

  it('accepts the instants either side of a spring-forward gap', () => {
    expect(atIn('at(2026-03-29T01:59:59)', 'Europe/Paris')).toBe('2026-03-29T00:59:59.000Z');
    expect(atIn('at(2026-03-29T03:00:00)', 'Europe/Paris')).toBe('2026-03-29T01:00:00.000Z');
  });

  it.each([
    ['Mars/Olympus_Mons', /IANA time zone/],
    ['', /must not be empty/],
  ])('refuses the time zone %j', (zone, message) => {
    expect(() => parseScheduleExpression('at(2026-06-13T02:00:00)', zone)).toThrow(message);
  });

  it.each([
    'at(2026-02-30T00:00:00)',
    'at(2026-13-01T00:00:00)',
    'at(2026-06-13T24:00:00)',
    'at(2026-06-13 02:00:00)',
    'at(2026-06-13T02:00:00Z)',
    'at(2026-06-13T02:00)',
  ])('refuses the malformed %s', (expr) => {
    expect(() => parseScheduleExpression(expr)).toThrow(expect.objectContaining({ type: 'ValidationException' }));
  });

  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(15 minutes)', 900_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
    ['rate(7 days)', 604_800_000],
  ])('reads %s as a period of %d ms', (expr, periodMs) => {
    expect(parseScheduleExpression(expr)).toEqual({ kind: 'rate', periodMs });
  });

  it.each(['rate(0 minutes)', 'rate(1 minutes)', 'rate(5 minute)', 'rate(5 seconds)', 'rate(-5 minutes)', 'rate(5  minutes)'])(
    'refuses %s',
    (expr) => {
      expect(() => parseScheduleExpression(expr)).toThrow(expect.objectContaining({ type: 'ValidationException' }));
    },
  );

  it('refuses cron() with a message that says it is not supported locally', () => {
    expect(() => parseScheduleExpression('cron(0 2 ? * SAT *)')).toThrow(/not supported locally/);
  });
});

describe('zonedTimeToUtc', () => {
  it('round-trips every half hour of a DST-changing day in New York', () => {
    for (let h = 0; h < 24; h++) {
      for (const minute of [0, 30]) {
        if (h === 2) continue; // 02:xx does not exist on 2026-03-08
        const ms = zonedTimeToUtc({ year: 2026, month: 3, day: 8, hour: h, minute, second: 0 }, 'America/New_York');
        const wall = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
        expect(wall).toBe(`${String(h).padStart(2, '0')}:${String(minute).padStart(2, '0')}`);
      }
    }
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 8, hour: 3, minute: 0, second: 0 }, 'America/New_York')).toBe(utc('2026-03-08T07:00:00Z'));
  });
});
