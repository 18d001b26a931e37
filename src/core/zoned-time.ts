/**
 * Local wall time in an IANA time zone <-> UTC instants, with daylight-saving changes made explicit:
 * a local time skipped when clocks go forward is refused, one that happens twice when clocks go back must
 * be disambiguated. Used by `mgn-flow wave schedule --at ... --tz ...` and by the wave file's cutover and
 * freeze windows. Pure: only `Intl`.
 */

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export type Fold = 'earlier' | 'later';

export type LocalTimeErrorReason = 'format' | 'zone' | 'gap' | 'ambiguous';

/**
 * A local time that cannot be turned into one instant. `message` reads `"<input>": <detail>`, the wave
 * file's `value: what is allowed`; `detail` alone is what is wrong and what to do instead.
 */
export class LocalTimeError extends Error {
  readonly reason: LocalTimeErrorReason;
  readonly input: string;
  readonly zone: string;
  readonly detail: string;
  /** gap and ambiguous: what happens at that local time, without the advice (for callers with their own). */
  readonly situation: string;
  /** gap: the nearest valid instants either side; ambiguous: both instants, earlier first; otherwise empty. */
  readonly instants: readonly Date[];

  constructor(init: { reason: LocalTimeErrorReason; input: string; zone: string; detail: string; situation?: string; instants?: readonly Date[] }) {
    super(`${JSON.stringify(init.input)}: ${init.detail}`);
    this.name = 'LocalTimeError';
    this.reason = init.reason;
    this.input = init.input;
    this.zone = init.zone;
    this.detail = init.detail;
    this.situation = init.situation ?? init.detail;
    this.instants = init.instants ?? [];
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is a time zone name `Intl` knows (IANA names such as Europe/Berlin, and UTC). */
export function isTimeZone(zone: string): boolean {
  // an IANA name (Europe/Berlin, UTC), never a bare offset: an offset has no daylight saving time, so the
  // wave's local times would drift an hour twice a year (Node 22's Intl accepts "+01:00"; Node 20's did not)
  if (!zone || /^[+-]\d/.test(zone)) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

export const TIME_ZONE_EXAMPLE = 'Europe/Berlin, America/New_York or UTC';

/** The wall time in `zone` at UTC instant `ms`. */
export function wallTimeIn(ms: number, zone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: (parts.hour as number) % 24,
    minute: parts.minute as number,
    second: parts.second as number,
  };
}

/** The wall time read as if it were UTC (epoch ms): handy for arithmetic on local times. */
export const wallAsUtc = (w: WallTime): number => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** Offset of `zone` from UTC at instant `ms`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallAsUtc(wallTimeIn(whole, zone)) - whole;
}

/** True when the fields name a real calendar date and a time of day (00:00:00 to 23:59:59). */
export function isValidWallTime(w: WallTime): boolean {
  const { year, month, day, hour, minute, second } = w;
  if (![year, month, day, hour, minute, second].every(Number.isInteger)) return false;
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Every UTC instant (epoch ms, ascending) at which the wall clock in `zone` reads `w`: none in a
 * spring-forward gap, two in a fall-back overlap, one otherwise. `w` must be valid (isValidWallTime).
 */
export function wallTimeCandidates(w: WallTime, zone: string): number[] {
  const local = wallAsUtc(w);
  // the offsets in effect a day either side bracket any transition near this wall time
  const offsets = new Set([zoneOffsetMs(local - 86_400_000, zone), zoneOffsetMs(local, zone), zoneOffsetMs(local + 86_400_000, zone)]);
  return [...offsets]
    .map((offset) => local - offset)
    .filter((utc) => wallAsUtc(wallTimeIn(utc, zone)) === local)
    .sort((a, b) => a - b);
}

/** `+02:00`, `-04:00`, `+05:30` (`+00:53:28` for the odd historical offset). */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const total = Math.abs(Math.round(offsetMs / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${sign}${pad(h)}:${pad(m)}${s ? `:${pad(s)}` : ''}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function formatWall(w: WallTime, seconds: boolean): string {
  const date = `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
  return `${date}T${formatClock(w, seconds)}`;
}

const formatClock = (w: WallTime, seconds: boolean): string => `${pad(w.hour)}:${pad(w.minute)}${seconds ? `:${pad(w.second)}` : ''}`;

/**
 * The instant as a local time in `zone` with its offset: `2026-10-25T02:30+02:00`. Seconds are shown when
 * asked or when not zero.
 */
export function formatZoned(ms: number, zone: string, opts: { seconds?: boolean } = {}): string {
  const w = wallTimeIn(ms, zone);
  return `${formatWall(w, opts.seconds === true || w.second !== 0)}${formatOffset(zoneOffsetMs(ms, zone))}`;
}

/**
 * A time as people read it: in `zone` (UTC when it is not a zone), to the minute, with the offset:
 * `2026-12-05T02:00+01:00`. Every time shown to a person goes through this (or `zonedMinute`, which adds the zone).
 */
export function minuteIn(iso: string | number, zone: string | undefined): string {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(ms)) return String(iso);
  return formatZoned(Math.floor(ms / 60_000) * 60_000, zone && isTimeZone(zone) ? zone : 'UTC');
}

/** `2026-10-25T00:30Z` (seconds when asked or not zero): UTC, short. */
function formatUtc(ms: number, seconds: boolean): string {
  const iso = new Date(ms).toISOString();
  return seconds || iso.slice(17, 19) !== '00' ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 16)}Z`;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/;

export const LOCAL_TIME_FORMAT = 'YYYY-MM-DDTHH:mm or YYYY-MM-DDTHH:mm:ss (e.g. 2026-12-05T02:00), optionally with an explicit offset (Z or +01:00)';

/** The instant of a clock change near `utcMs` (the first instant with the new offset), to the second. */
function transitionNear(utcMs: number, zone: string): { at: number; before: number; after: number } | undefined {
  let lo = utcMs - 86_400_000;
  let hi = utcMs + 86_400_000;
  const before = zoneOffsetMs(lo, zone);
  const after = zoneOffsetMs(hi, zone);
  if (before === after) return undefined;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (zoneOffsetMs(mid, zone) === before) lo = mid;
    else hi = mid;
  }
  return { at: hi, before, after };
}

/**
 * The UTC instant of a local date and time in an IANA zone.
 *
 * `local` is `YYYY-MM-DDTHH:mm[:ss]`, read in `zone`; with an explicit offset (`2026-10-25T02:30+02:00`) or
 * `Z` it is that instant (no ambiguity; the zone is still checked). Throws a LocalTimeError for a malformed
 * time or an unknown zone, for a local time skipped when clocks go forward (naming the nearest valid times),
 * and for one that happens twice when clocks go back unless `fold` says which (naming both instants).
 */
export function resolveLocalTime(local: string, zone: string, opts: { fold?: Fold } = {}): Date {
  if (!isTimeZone(zone)) {
    throw new LocalTimeError({
      reason: 'zone',
      input: zone,
      zone,
      detail: `not an IANA time zone name; use one such as ${TIME_ZONE_EXAMPLE}`,
    });
  }
  const m = LOCAL.exec(local);
  const w: WallTime | undefined = m
    ? {
        year: Number(m[1]),
        month: Number(m[2]),
        day: Number(m[3]),
        hour: Number(m[4]),
        minute: Number(m[5]),
        second: Number(m[6] ?? 0),
      }
    : undefined;
  const offset = m?.[7];
  if (!m || !w || !isValidWallTime(w) || (offset && offset !== 'Z' && !validOffset(offset))) {
    throw new LocalTimeError({ reason: 'format', input: local, zone, detail: `not a valid date and time; use ${LOCAL_TIME_FORMAT}` });
  }
  if (offset) return new Date(wallAsUtc(w) - offsetMs(offset));

  const seconds = m[6] !== undefined;
  const candidates = wallTimeCandidates(w, zone);
  if (candidates.length === 1) return new Date(candidates[0] as number);

  const change = transitionNear(wallAsUtc(w), zone);
  if (!change) throw new Error(`no clock change found near ${local} in ${zone}`); // cannot happen with a consistent tz database
  // the wall clock at the change, read with the old offset and with the new one: 02:00 -> 03:00
  const from = formatClock(wallWithOffset(change.at, change.before), seconds);
  const to = formatClock(wallWithOffset(change.at, change.after), seconds);

  if (candidates.length === 0) {
    const step = seconds ? 1000 : 60_000;
    const lastBefore = Math.floor((change.at - 1) / step) * step;
    const firstAfter = change.at;
    const situation = `does not exist in ${zone}: clocks go forward from ${from} to ${to} that day`;
    throw new LocalTimeError({
      reason: 'gap',
      input: local,
      zone,
      situation,
      detail: `${situation}; the nearest valid times are ${formatZoned(lastBefore, zone, { seconds })} and ${formatZoned(firstAfter, zone, { seconds })}`,
      instants: [new Date(lastBefore), new Date(firstAfter)],
    });
  }

  const [earlier, later] = candidates as [number, number];
  if (opts.fold === 'earlier') return new Date(earlier);
  if (opts.fold === 'later') return new Date(later);
  const e = formatZoned(earlier, zone, { seconds });
  const l = formatZoned(later, zone, { seconds });
  const situation =
    `is ambiguous in ${zone}: clocks go back from ${from} to ${to} that day, so it happens twice, ` +
    `at ${e} (${formatUtc(earlier, seconds)}) and at ${l} (${formatUtc(later, seconds)})`;
  throw new LocalTimeError({
    reason: 'ambiguous',
    input: local,
    zone,
    situation,
    detail: `${situation}; choose with --fold earlier|later, or give an explicit offset like ${e}`,
    instants: [new Date(earlier), new Date(later)],
  });
}

/** The wall time at instant `utcMs` under a fixed offset. */
function wallWithOffset(utcMs: number, offset: number): WallTime {
  const d = new Date(utcMs + offset);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

function validOffset(offset: string): boolean {
  const h = Number(offset.slice(1, 3));
  const min = Number(offset.slice(4, 6));
  return h <= 23 && min <= 59;
}

function offsetMs(offset: string): number {
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 3_600_000 + Number(offset.slice(4, 6)) * 60_000);
}
