import { type WallTime, isTimeZone, isValidWallTime, wallTimeCandidates } from '../../../core/zoned-time.ts';
import { AwsError } from '../protocol.ts';

// the pure zone arithmetic lives in the core (the wave file and `wave schedule` use it too)
export { type WallTime, wallTimeIn, zoneOffsetMs } from '../../../core/zoned-time.ts';

/**
 * EventBridge Scheduler schedule expressions, as the local scheduler understands them:
 * - `at(yyyy-mm-ddThh:mm:ss)`: one time, a wall-clock time in `ScheduleExpressionTimezone` (default UTC);
 * - `rate(value unit)`: every `value` minutes, hours or days (a day is 24 hours, as on AWS, whatever DST does);
 * - `cron(...)`: refused with a ValidationException (not supported locally).
 */
export type ScheduleExpression =
  | { kind: 'at'; /** UTC epoch ms of the wall time in the zone. */ at: number }
  | { kind: 'rate'; periodMs: number };

const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const invalid = (message: string): AwsError => new AwsError('ValidationException', message);

export function parseScheduleExpression(expression: string, timeZone = 'UTC'): ScheduleExpression {
  const zone = checkTimeZone(timeZone);
  const at = AT.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    return { kind: 'at', at: zonedTimeToUtc({ year, month, day, hour, minute, second }, zone, expression) };
  }
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    if (value < 1) throw invalid(`Invalid Schedule Expression ${expression}: the rate value must be a positive whole number.`);
    // as on AWS: `rate(1 minute)` but `rate(5 minutes)`
    if ((value === 1) !== !unit.endsWith('s')) {
      throw invalid(`Invalid Schedule Expression ${expression}: use a singular unit for 1 (rate(1 hour)) and a plural unit otherwise (rate(2 hours)).`);
    }
    return { kind: 'rate', periodMs: value * (UNIT_MS[unit.replace(/s$/, '')] as number) };
  }
  if (expression.startsWith('cron(')) {
    throw invalid(`Invalid Schedule Expression ${expression}: cron() expressions are not supported locally; use at() or rate().`);
  }
  throw invalid(`Invalid Schedule Expression ${expression}. Use at(yyyy-mm-ddThh:mm:ss) or rate(value minutes|hours|days).`);
}

/** The IANA zone name, or a ValidationException. */
export function checkTimeZone(zone: string): string {
  if (!zone) throw invalid('ScheduleExpressionTimezone must not be empty.');
  if (!isTimeZone(zone)) {
    throw invalid(`Invalid ScheduleExpressionTimezone ${zone}: not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC).`);
  }
  return zone;
}

/**
 * The UTC instant of a wall time in `zone`. A wall time that does not exist (skipped when clocks go forward)
 * is a ValidationException; a wall time that happens twice (clocks go back) is its first occurrence.
 */
export function zonedTimeToUtc(w: WallTime, zone: string, expression = 'at()'): number {
  if (!isValidWallTime(w)) {
    throw invalid(`Invalid Schedule Expression ${expression}: not a valid date and time.`);
  }
  const matches = wallTimeCandidates(w, zone);
  if (matches.length === 0) {
    throw invalid(`Invalid Schedule Expression ${expression}: that local time does not exist in ${zone} (clocks go forward then).`);
  }
  return matches[0] as number;
}

/** `2026-03-29T01:30:00Z`: the scheduled-time context attribute's format (whole seconds, UTC). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
