import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalTimeError, formatOffset, formatZoned, resolveLocalTime, wallTimeIn } from '../../src/core/zoned-time.ts';

const iso = (local: string, zone: string, fold?: 'earlier' | 'later') => resolveLocalTime(local, zone, fold ? { fold } : {}).toISOString();

function caught(fn: () => unknown): LocalTimeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LocalTimeError) return e;
    throw e;
  }
  throw new Error('expected a LocalTimeError');
}

describe('resolveLocalTime', () => {
  it.each([
    ['2026-12-05T02:00', 'Europe/Berlin', '2026-12-05T01:00:00.000Z'],
    ['2026-06-13T02:00', 'Europe/Berlin', '2026-06-13T00:00:00.000Z'],
    ['2026-06-13T02:00:30', 'America/New_York', '2026-06-13T06:00:30.000Z'],
    ['2026-01-10T02:00', 'America/New_York', '2026-01-10T07:00:00.000Z'],
    ['2026-06-13T02:00', 'Asia/Kolkata', '2026-06-12T20:30:00.000Z'],
    ['2028-02-29T23:59:59', 'UTC', '2028-02-29T23:59:59.000Z'],
  ])('reads %s in %s as %s', (local, zone, expected) => {
    expect(iso(local, zone)).toBe(expected);
  });

  it.each([
    ['2026-10-25T02:30+02:00', '2026-10-25T00:30:00.000Z'],
    ['2026-10-25T02:30+01:00', '2026-10-25T01:30:00.000Z'],
    ['2026-03-29T02:30Z', '2026-03-29T02:30:00.000Z'],
    ['2026-12-05T02:00:15-05:00', '2026-12-05T07:00:15.000Z'],
  ])('takes an explicit offset as the instant it names, even inside a gap or an overlap: %s', (local, expected) => {
    expect(iso(local, 'Europe/Berlin')).toBe(expected);
  });

  it('accepts the times either side of a spring-forward gap', () => {
    expect(iso('2026-03-29T01:59:59', 'Europe/Berlin')).toBe('2026-03-29T00:59:59.000Z');
    expect(iso('2026-03-29T03:00', 'Europe/Berlin')).toBe('2026-03-29T01:00:00.000Z');
    expect(iso('2026-03-08T01:59', 'America/New_York')).toBe('2026-03-08T06:59:00.000Z');
    expect(iso('2026-03-08T03:00', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
  });

  it.each([
    [
      '2026-03-29T02:30',
      'Europe/Berlin',
      '"2026-03-29T02:30": does not exist in Europe/Berlin: clocks go forward from 02:00 to 03:00 that day; the nearest valid times are 2026-03-29T01:59+01:00 and 2026-03-29T03:00+02:00',
    ],
    [
      '2026-03-29T02:00:00',
      'Europe/Berlin',
      '"2026-03-29T02:00:00": does not exist in Europe/Berlin: clocks go forward from 02:00:00 to 03:00:00 that day; the nearest valid times are 2026-03-29T01:59:59+01:00 and 2026-03-29T03:00:00+02:00',
    ],
    [
      '2026-03-08T02:15',
      'America/New_York',
      '"2026-03-08T02:15": does not exist in America/New_York: clocks go forward from 02:00 to 03:00 that day; the nearest valid times are 2026-03-08T01:59-05:00 and 2026-03-08T03:00-04:00',
    ],
    [
      '2026-10-04T02:15',
      'Australia/Lord_Howe',
      '"2026-10-04T02:15": does not exist in Australia/Lord_Howe: clocks go forward from 02:00 to 02:30 that day; the nearest valid times are 2026-10-04T01:59+10:30 and 2026-10-04T02:30+11:00',
    ],
  ])('refuses %s in %s: it does not exist (clocks go forward)', (local, zone, message) => {
    const e = caught(() => resolveLocalTime(local, zone));
    expect(e.message).toBe(message);
    expect(e.reason).toBe('gap');
    expect(e.name).toBe('LocalTimeError');
    // the nearest valid times are real instants either side of the gap
    const [before, after] = e.instants as [Date, Date];
    expect(after.getTime() - before.getTime()).toBeLessThanOrEqual(60_000);
  });

  it.each([
    [
      '2026-10-25T02:30',
      'Europe/Berlin',
      '"2026-10-25T02:30": is ambiguous in Europe/Berlin: clocks go back from 03:00 to 02:00 that day, so it happens twice, at 2026-10-25T02:30+02:00 (2026-10-25T00:30Z) and at 2026-10-25T02:30+01:00 (2026-10-25T01:30Z); choose with --fold earlier|later, or give an explicit offset like 2026-10-25T02:30+02:00',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ],
    [
      '2026-11-01T01:30',
      'America/New_York',
      '"2026-11-01T01:30": is ambiguous in America/New_York: clocks go back from 02:00 to 01:00 that day, so it happens twice, at 2026-11-01T01:30-04:00 (2026-11-01T05:30Z) and at 2026-11-01T01:30-05:00 (2026-11-01T06:30Z); choose with --fold earlier|later, or give an explicit offset like 2026-11-01T01:30-04:00',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
    ],
  ])('refuses the ambiguous %s in %s unless a fold is given', (local, zone, message, earlier, later) => {
    const e = caught(() => resolveLocalTime(local, zone));
    expect(e.message).toBe(message);
    expect(e.reason).toBe('ambiguous');
    expect(e.instants.map((d) => d.toISOString())).toEqual([earlier, later]);
    expect(iso(local, zone, 'earlier')).toBe(earlier);
    expect(iso(local, zone, 'later')).toBe(later);
  });

  it('does not need a fold for a time that happens once', () => {
    expect(iso('2026-10-25T03:00', 'Europe/Berlin', 'later')).toBe('2026-10-25T02:00:00.000Z');
    expect(iso('2026-10-25T01:59', 'Europe/Berlin', 'later')).toBe('2026-10-24T23:59:00.000Z');
  });

  it.each(['Mars/Olympus_Mons', '', '+01:00'])('refuses the unknown time zone %j, naming an example', (zone) => {
    const e = caught(() => resolveLocalTime('2026-12-05T02:00', zone));
    expect(e.message).toBe(`${JSON.stringify(zone)}: not an IANA time zone name; use one such as Europe/Berlin, America/New_York or UTC`);
    expect(e.reason).toBe('zone');
  });

  it.each(['2026-02-30T02:00', '2026-13-01T00:00', '2026-06-13T24:00', '2026-06-13 02:00', '2026-06-13', '2026-06-13T2:00', '2026-06-13T02:00+25:00', '2026-06-13T02:00:60'])(
    'refuses the malformed %j',
    (local) => {
      const e = caught(() => resolveLocalTime(local, 'Europe/Berlin'));
      expect(e.message).toBe(
        `${JSON.stringify(local)}: not a valid date and time; use YYYY-MM-DDTHH:mm or YYYY-MM-DDTHH:mm:ss (e.g. 2026-12-05T02:00), optionally with an explicit offset (Z or +01:00)`,
      );
      expect(e.reason).toBe('format');
    },
  );

  it('round-trips every instant: its local time resolves back to it (with the right fold where the time happens twice)', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC', 'America/Sao_Paulo'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2040, 0, 1) / 1000 }), fc.constantFrom(...zones), (seconds, zone) => {
        const ms = seconds * 1000;
        const local = formatZoned(ms, zone, { seconds: true }).slice(0, 19);
        try {
          return resolveLocalTime(local, zone).getTime() === ms;
        } catch (e) {
          if (!(e instanceof LocalTimeError) || e.reason !== 'ambiguous') throw e;
          return e.instants.some((d) => d.getTime() === ms) && [resolveLocalTime(local, zone, { fold: 'earlier' }), resolveLocalTime(local, zone, { fold: 'later' })].some((d) => d.getTime() === ms);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatZoned', () => {
  it('writes the local time with its offset', () => {
    expect(formatZoned(Date.parse('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30+02:00');
    expect(formatZoned(Date.parse('2026-10-25T01:30:05Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:05+01:00');
    expect(formatZoned(Date.parse('2026-06-12T20:30:00Z'), 'Asia/Kolkata', { seconds: true })).toBe('2026-06-13T02:00:00+05:30');
    expect(wallTimeIn(Date.parse('2026-06-12T20:30:00Z'), 'Asia/Kolkata')).toEqual({ year: 2026, month: 6, day: 13, hour: 2, minute: 0, second: 0 });
  });

  it.each([
    [0, '+00:00'],
    [-4 * 3_600_000, '-04:00'],
    [5.5 * 3_600_000, '+05:30'],
    [3_208_000, '+00:53:28'],
  ])('formats the offset %d ms as %s', (ms, text) => {
    expect(formatOffset(ms)).toBe(text);
  });
});
