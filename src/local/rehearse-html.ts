import { type WallTime, wallTimeCandidates, wallTimeIn } from '../core/zoned-time.ts';
import { GATE_KINDS, gateWords, isFailureGate, isGateKind } from '../core/lifecycle.ts';
import { type ApplicationForecast, type Forecast, type GateForecast, local } from './rehearse.ts';

/**
 * `mgn-flow wave rehearse --html FILE`: the forecast as one self-contained HTML page to open in a browser.
 * A header (wave, time zone, period, outcome, what would break), a Gantt chart in inline SVG (one row per
 * application: test and soak, waiting, cutover; a diamond when a gate is asked, a filled one when it is
 * decided; the cutover window and the freezes as bands across the rows), then the same figures as tables.
 * No script and nothing loaded from elsewhere; every text taken from the forecast is escaped.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// the chart's coordinate system (the SVG scales to the page's width through its viewBox)
const W = 1200;
const LABEL_W = 280;
const RIGHT = 18;
const AXIS_H = 48;
const ROW_H = 46;
const BAR_H = 14;
const X0 = LABEL_W;
const X1 = W - RIGHT;

// colours: Okabe-Ito hues (distinguishable with the common colour-vision deficiencies), text at 4.5:1 or more
const C = {
  text: '#1f2933',
  muted: '#52606d',
  grid: '#d5dbe1',
  rowAlt: '#f7f9fb',
  weekend: '#eceff3',
  test: '#56b4e9',
  testEdge: '#2b7fb0',
  waiting: '#e3e6ea',
  waitingEdge: '#9aa5b1',
  cutover: '#e69f00',
  cutoverEdge: '#a86f00',
  window: '#009e73',
  freeze: '#c0392b',
  missed: '#c62828',
};

const gateLabel = (g: string) => (isGateKind(g) ? gateWords(g).label : g);
const gateColour = (g: string) => (isGateKind(g) ? gateWords(g).colour : '#52606d');

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML (element content and quoted attribute values alike). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESC[c] ?? c);
}

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const money = (usd: number) => `$${usd.toFixed(2)}`;
const hours = (h: number) => `${Math.round(h * 100) / 100} h`;
const num = (n: number) => (Math.round(n * 10) / 10).toString();
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** At most `max` characters (an ellipsis when cut), whole code points. */
function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}\u2026`;
}

interface LocalDay {
  start: number;
  end: number;
  wall: WallTime;
  /** 0 Sunday .. 6 Saturday. */
  weekday: number;
}

/** The first instant of a local calendar date (midnight, or the first wall time after a gap at midnight). */
function localInstant(calendarUtc: number, zone: string, minuteOfDay = 0): number {
  const d = new Date(calendarUtc);
  for (let min = minuteOfDay; min < 24 * 60; min += 15) {
    const w = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: Math.floor(min / 60), minute: min % 60, second: 0 };
    const c = wallTimeCandidates(w, zone)[0];
    if (c !== undefined) return c;
  }
  return calendarUtc;
}

/** The local days in `zone` that overlap [start, end). */
function localDays(start: number, end: number, zone: string): LocalDay[] {
  const first = wallTimeIn(start, zone);
  let calendar = Date.UTC(first.year, first.month - 1, first.day);
  let dayStart = localInstant(calendar, zone);
  const days: LocalDay[] = [];
  for (let i = 0; i < 4000 && dayStart < end; i++) {
    const next = localInstant(calendar + DAY, zone);
    const d = new Date(calendar);
    days.push({ start: dayStart, end: next, wall: wallTimeIn(dayStart, zone), weekday: d.getUTCDay() });
    calendar += DAY;
    dayStart = next;
  }
  return days;
}

const dayLabel = (d: LocalDay) => `${WEEKDAY[d.weekday]} ${d.wall.day} ${MONTH[d.wall.month - 1]}`;

/** The gate that ends the test and soak: the sign-off, when decided. */
const signoffDecidedAt = (a: ApplicationForecast): number | undefined => a.gates.find((g) => isGateKind(g.gate) && gateWords(g.gate).afterSoak && g.decidedAt !== undefined)?.decidedAt;

function gateTip(app: string, g: GateForecast, zone: string): string {
  const decided = g.decidedAt !== undefined ? `decided ${local(g.decidedAt, zone)}${g.decision ? ` (${g.decision})` : ''}` : 'NOT decided';
  return `${app}: ${gateLabel(g.gate)} (${g.gate}): asked ${local(g.askedAt, zone)}, ${decided}; approvers: ${g.approvers.join(', ') || 'none'}`;
}

function diamond(x: number, y: number, r: number): string {
  const f = (n: number) => n.toFixed(1);
  return `M${f(x)} ${f(y - r)}L${f(x + r)} ${f(y)}L${f(x)} ${f(y + r)}L${f(x - r)} ${f(y)}Z`;
}

interface View {
  /** `main`: the whole rehearsal; `zoom`: around the cutover window. */
  kind: 'main' | 'zoom';
  start: number;
  end: number;
}

/** The whole rehearsed period, stretched to show the whole cutover window, with a little room after the end. */
function mainView(f: Forecast): View {
  const start = f.startedAt;
  const last = Math.max(f.endedAt, f.cutoverWindow?.end ?? f.endedAt);
  return { kind: 'main', start, end: last > start ? last + Math.max((last - start) * 0.03, 30 * 60_000) : start + DAY };
}

/**
 * Around the cutover window, when the whole chart draws it narrow: the window and the cutovers that start
 * within a day of it, with some room either side.
 */
function zoomView(f: Forecast, main: View): View | null {
  const w = f.cutoverWindow;
  if (!w || w.end <= w.start) return null;
  if (((w.end - w.start) / (main.end - main.start)) * (X1 - X0) >= 160) return null;
  let from = w.start;
  let to = w.end;
  for (const a of f.applications) {
    if (a.cutoverLaunchAt === undefined || a.cutoverLaunchAt < w.start - DAY || a.cutoverLaunchAt > w.end + DAY) continue;
    from = Math.min(from, a.cutoverLaunchAt);
    to = Math.max(to, a.finalizedAt ?? a.cutoverLaunchedAt ?? a.cutoverLaunchAt);
  }
  const pad = Math.max((to - from) * 0.25, HOUR);
  return { kind: 'zoom', start: from - pad, end: to + pad };
}

const HOUR_STEPS = [1, 2, 3, 6, 12];

/** The Gantt chart, over the view's period. */
function timeline(f: Forecast, view: View): string {
  const zone = f.timeZone;
  const { start, end } = view;
  const span = end - start;
  const inView = (from: number, to: number) => to >= start && from <= end;
  const rows = Math.max(1, f.applications.length);
  const rowsTop = AXIS_H;
  const rowsBottom = rowsTop + rows * ROW_H;
  const H = rowsBottom + 10;
  const x = (t: number) => X0 + (Math.min(Math.max(t, start), end) - start) / span * (X1 - X0);
  const px = (n: number) => n.toFixed(1);
  /** A band [a, b], at least `min` px wide (a short window stays visible on a long chart). */
  const band = (a: number, b: number, min = 3) => {
    const xa = x(a);
    const w = Math.max(x(b) - xa, min);
    return { x: Math.min(xa, X1 - w), w };
  };
  const out: string[] = [];
  const id = `timeline-${view.kind}`;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-title" class="timeline timeline-${view.kind}">`);
  const what = view.kind === 'main' ? 'Timeline' : 'The cutover window, zoomed in';
  out.push(`<title id="${id}-title">${what} of ${escapeHtml(f.wave)}: ${plural(f.applications.length, 'application')}, ${escapeHtml(local(start, zone))} to ${escapeHtml(local(end, zone))} (${escapeHtml(zone)})</title>`);
  out.push(
    `<defs><pattern id="freeze-hatch-${view.kind}" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)">` +
      `<rect width="8" height="8" fill="#f4e3e1"/><line x1="0" y1="0" x2="0" y2="8" stroke="${C.freeze}" stroke-width="3" stroke-opacity="0.55"/></pattern></defs>`,
  );

  // row stripes, so a row's bars are easy to follow across a wide chart
  for (let i = 0; i < rows; i++) if (i % 2 === 1) out.push(`<rect x="0" y="${rowsTop + i * ROW_H}" width="${W}" height="${ROW_H}" fill="${C.rowAlt}"/>`);

  // days: weekends shaded, a line at each local midnight, labels in the wave's zone
  const days = localDays(start, end, zone);
  const pxPerDay = (X1 - X0) * DAY / span;
  const every = pxPerDay >= 84 ? 1 : Math.ceil(84 / pxPerDay);
  // when days are narrow, a label every few days; every week or few weeks, on Mondays, on a long chart
  const labelled = new Set<number>();
  const weeks = every >= 5 ? Math.ceil(every / 7) : 0;
  // `Mon 24 Aug` when there is room, `24 Aug` otherwise
  const withWeekday = (weeks ? weeks * 7 : every) * pxPerDay >= 100;
  if (every > 1) {
    let mondays = 0;
    days.forEach((d, i) => {
      if (d.start < start) return;
      if (weeks === 0 ? i % every === 0 : d.weekday === 1 && mondays++ % weeks === 0) labelled.add(i);
    });
  }
  out.push('<g class="days">');
  if (pxPerDay >= 2) {
    for (const d of days) {
      if (d.weekday !== 0 && d.weekday !== 6) continue;
      const b = band(d.start, d.end, 0);
      if (b.w > 0) out.push(`<rect class="weekend" x="${px(b.x)}" y="${rowsTop}" width="${px(b.w)}" height="${rowsBottom - rowsTop}" fill="${C.weekend}"><title>${escapeHtml(`${dayLabel(d)} (weekend)`)}</title></rect>`);
    }
  }
  days.forEach((d, i) => {
    const visible = d.start >= start;
    if (visible && (every === 1 || labelled.has(i) || pxPerDay >= 4)) {
      const xd = px(x(d.start));
      const strong = every > 1 && labelled.has(i);
      out.push(`<line x1="${xd}" y1="${rowsTop - 8}" x2="${xd}" y2="${rowsBottom}" stroke="${strong ? '#aab4be' : C.grid}" stroke-width="1"/>`);
    }
    if (every === 1) {
      // centred in the visible part of the day, when it is wide enough for the label
      const a = x(d.start);
      const b = x(d.end);
      if (b - a >= 56) out.push(`<text class="day" x="${px(Math.min(Math.max((a + b) / 2, X0 + 40), W - 42))}" y="20" text-anchor="middle" fill="${C.text}" font-size="13" font-weight="600">${escapeHtml(dayLabel(d))}</text>`);
    } else if (labelled.has(i) && x(d.start) <= X1 - 70) {
      const label = withWeekday ? dayLabel(d) : `${d.wall.day} ${MONTH[d.wall.month - 1]}`;
      out.push(`<text class="day" x="${px(x(d.start) + 3)}" y="20" fill="${C.text}" font-size="13" font-weight="600">${escapeHtml(label)}</text>`);
    }
    // hours (every 6, 3, 2 or 1) when days are wide
    const step = HOUR_STEPS.find((n) => (pxPerDay / 24) * n >= 48);
    if (pxPerDay >= 220 && step !== undefined) {
      const calendar = Date.UTC(d.wall.year, d.wall.month - 1, d.wall.day);
      for (let h = step; h < 24; h += step) {
        const t = localInstant(calendar, zone, h * 60);
        if (t <= start || t >= end) continue;
        const xt = px(x(t));
        out.push(`<line x1="${xt}" y1="${rowsTop - 4}" x2="${xt}" y2="${rowsBottom}" stroke="${C.grid}" stroke-width="1" stroke-dasharray="2 4"/>`);
        out.push(`<text class="hour" x="${xt}" y="38" text-anchor="middle" fill="${C.muted}" font-size="11">${String(h).padStart(2, '0')}:00</text>`);
      }
    }
  });
  out.push('</g>');

  // the cutover window and the freezes, across every row
  if (f.cutoverWindow && inView(f.cutoverWindow.start, f.cutoverWindow.end)) {
    const b = band(f.cutoverWindow.start, f.cutoverWindow.end);
    out.push(
      `<g class="window"><rect x="${px(b.x)}" y="${rowsTop - 6}" width="${px(b.w)}" height="${rowsBottom - rowsTop + 6}" fill="${C.window}" fill-opacity="0.18" stroke="${C.window}" stroke-width="1.5">` +
        `<title>${escapeHtml(`cutover window ${local(f.cutoverWindow.start, zone)} to ${local(f.cutoverWindow.end, zone)}`)}</title></rect></g>`,
    );
  }
  for (const fr of f.freeze) {
    if (!inView(fr.start, fr.end)) continue;
    const b = band(fr.start, fr.end);
    out.push(
      `<g class="freeze"><rect x="${px(b.x)}" y="${rowsTop - 6}" width="${px(b.w)}" height="${rowsBottom - rowsTop + 6}" fill="url(#freeze-hatch-${view.kind})" fill-opacity="0.75" stroke="${C.freeze}" stroke-width="1">` +
        `<title>${escapeHtml(`freeze ${local(fr.start, zone)} to ${local(fr.end, zone)}${fr.reason ? `: ${fr.reason}` : ''}`)}</title></rect></g>`,
    );
  }

  // where the rehearsal stopped, when the axis goes on after it
  if (f.endedAt > start && f.endedAt < end) {
    const xe = px(x(f.endedAt));
    out.push(`<line class="ended" x1="${xe}" y1="${rowsTop - 8}" x2="${xe}" y2="${rowsBottom}" stroke="${C.muted}" stroke-width="1.5" stroke-dasharray="4 3"><title>${escapeHtml(`the rehearsal ended ${local(f.endedAt, zone)}`)}</title></line>`);
  }

  // the chart's frame: the label column and the time axis
  out.push(`<line x1="${X0}" y1="${rowsTop - 8}" x2="${X0}" y2="${rowsBottom}" stroke="${C.muted}" stroke-width="1"/>`);
  out.push(`<line x1="${X0}" y1="${rowsBottom}" x2="${X1}" y2="${rowsBottom}" stroke="${C.muted}" stroke-width="1"/>`);
  out.push(`<text x="12" y="38" fill="${C.muted}" font-size="12">application</text>`);

  if (f.applications.length === 0) {
    out.push(`<text class="empty" x="${(X0 + X1) / 2}" y="${rowsTop + ROW_H / 2 + 5}" text-anchor="middle" fill="${C.muted}" font-size="14">no applications in this forecast</text>`);
  }

  f.applications.forEach((a, i) => {
    const top = rowsTop + i * ROW_H;
    const mid = top + ROW_H / 2;
    const barY = mid - BAR_H / 2;
    const missed = a.fitsWindow === false;
    const cls = `row${missed ? ' missed' : ''}${a.canary ? ' canary' : ''}`;
    out.push(`<g class="${cls}" data-app="${escapeHtml(a.name)}" data-result="${escapeHtml(a.result)}"${a.fitsWindow === null ? '' : ` data-fits="${a.fitsWindow}"`}>`);
    const about = `${a.name}${a.canary ? ' (canary)' : ''}: ${plural(a.servers, 'server')}, ${a.result}${a.why && a.result !== 'succeeded' ? ` (${a.why})` : ''}${missed ? '; misses the cutover window' : ''}`;
    out.push(`<title>${escapeHtml(about)}</title>`);
    if (missed) out.push(`<rect class="missed-outline" x="${X0 + 2}" y="${top + 3}" width="${X1 - X0 - 4}" height="${ROW_H - 6}" rx="4" fill="none" stroke="${C.missed}" stroke-width="2" stroke-dasharray="6 3"/>`);
    // the label: the name (a canary marked), then servers, result, window
    const nameColour = missed ? C.missed : C.text;
    out.push(`<text class="app-name" x="12" y="${top + 19}" fill="${nameColour}" font-size="14" font-weight="600">${escapeHtml(clip(a.name, a.canary ? 22 : 30))}${a.canary ? `<tspan fill="${C.muted}" font-weight="400" font-size="12"> \u2022 canary</tspan>` : ''}</text>`);
    const meta = `${plural(a.servers, 'server')} \u00b7 ${a.result}`;
    out.push(`<text class="app-meta" x="12" y="${top + 36}" fill="${C.muted}" font-size="12">${escapeHtml(meta)}${missed ? `<tspan fill="${C.missed}" font-weight="700"> \u00b7 \u2716 misses window</tspan>` : ''}</text>`);

    const soakEnd = signoffDecidedAt(a);
    const bar = (kind: string, from: number, to: number, fill: string, edge: string, tip: string) => {
      if (!inView(from, to)) return;
      const b = band(from, to, 2);
      out.push(`<rect class="bar ${kind}" x="${px(b.x)}" y="${barY}" width="${px(b.w)}" height="${BAR_H}" rx="2" fill="${fill}" stroke="${edge}" stroke-width="1"><title>${escapeHtml(tip)}</title></rect>`);
    };
    const t = (ms: number) => local(ms, zone);
    if (a.testLaunchAt !== undefined) {
      const to = soakEnd ?? a.cutoverLaunchAt ?? f.endedAt;
      bar('test', a.testLaunchAt, to, C.test, C.testEdge, `${a.name}: test / soak from ${t(a.testLaunchAt)}${a.testLaunchedAt !== undefined ? ` (launched ${t(a.testLaunchedAt)})` : ''} to ${soakEnd !== undefined ? `the sign-off ${t(soakEnd)}` : `${t(to)} (no sign-off decided)`}`);
    }
    if (soakEnd !== undefined) {
      const to = a.cutoverLaunchAt ?? f.endedAt;
      if (to > soakEnd) bar('waiting', soakEnd, to, C.waiting, C.waitingEdge, `${a.name}: waiting from the sign-off ${t(soakEnd)} to ${a.cutoverLaunchAt !== undefined ? `the cutover launch ${t(a.cutoverLaunchAt)}` : `${t(to)} (no cutover launch)`}`);
    }
    if (a.cutoverLaunchAt !== undefined) {
      const to = a.finalizedAt ?? a.cutoverLaunchedAt ?? f.endedAt;
      const done = a.finalizedAt !== undefined ? `finalized ${t(a.finalizedAt)}` : a.cutoverLaunchedAt !== undefined ? `launched ${t(a.cutoverLaunchedAt)}` : `${t(to)}, not launched`;
      const fit = a.fitsWindow === null ? '' : a.fitsWindow ? '; fits the window' : '; MISSES the window';
      bar('cutover', a.cutoverLaunchAt, to, C.cutover, C.cutoverEdge, `${a.name}: cutover from ${t(a.cutoverLaunchAt)} to ${done}${fit}`);
    }
    // gates: a hollow diamond when asked, a filled one when decided
    for (const g of a.gates) {
      if (!inView(g.askedAt, g.decidedAt ?? g.askedAt)) continue;
      const colour = gateColour(g.gate);
      const tip = escapeHtml(gateTip(a.name, g, zone));
      const undecided = g.decidedAt === undefined;
      if (g.askedAt >= start) out.push(
        `<path class="gate gate-asked${undecided ? ' undecided' : ''}" data-gate="${escapeHtml(g.gate)}" d="${diamond(x(g.askedAt), mid, 7)}" fill="#ffffff" stroke="${undecided ? C.missed : colour}" stroke-width="2.2"><title>${tip}</title></path>`,
      );
      if (g.decidedAt !== undefined && g.decidedAt <= end) {
        out.push(`<path class="gate gate-decided" data-gate="${escapeHtml(g.gate)}" d="${diamond(x(g.decidedAt), mid, 7)}" fill="${colour}" stroke="#ffffff" stroke-width="1"><title>${tip}</title></path>`);
      }
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

function swatch(body: string): string {
  return `<svg class="swatch" viewBox="0 0 22 14" width="22" height="14" aria-hidden="true">${body}</svg>`;
}

function legend(f: Forecast): string {
  const items: [string, string][] = [
    [swatch(`<rect x="1" y="2" width="20" height="10" rx="2" fill="${C.test}" stroke="${C.testEdge}"/>`), 'test / soak (test launch to the sign-off)'],
    [swatch(`<rect x="1" y="2" width="20" height="10" rx="2" fill="${C.waiting}" stroke="${C.waitingEdge}"/>`), 'waiting for the cutover'],
    [swatch(`<rect x="1" y="2" width="20" height="10" rx="2" fill="${C.cutover}" stroke="${C.cutoverEdge}"/>`), 'cutover (launch to finalize)'],
    [swatch(`<path d="${diamond(7, 7, 5.5)}" fill="#fff" stroke="${C.text}" stroke-width="1.8"/><path d="${diamond(16, 7, 5.5)}" fill="${C.text}"/>`), 'gate asked / decided'],
    [swatch(`<path d="${diamond(11, 7, 5.5)}" fill="#fff" stroke="${C.missed}" stroke-width="1.8"/>`), 'gate never decided'],
  ];
  const kinds = [...new Set(f.applications.flatMap((a) => a.gates.map((g) => g.gate)))];
  for (const k of (kinds.length ? kinds : GATE_KINDS.filter((k) => !isFailureGate(k)))) items.push([swatch(`<path d="${diamond(11, 7, 5.5)}" fill="${gateColour(k)}"/>`), escapeHtml(gateLabel(k))]);
  items.push([swatch(`<rect x="1" y="0" width="20" height="14" fill="${C.window}" fill-opacity="0.18" stroke="${C.window}" stroke-width="1.5"/>`), 'cutover window']);
  items.push([swatch(`<rect x="1" y="0" width="20" height="14" fill="url(#legend-hatch)" stroke="${C.freeze}"/><defs><pattern id="legend-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4e3e1"/><line x1="0" y1="0" x2="0" y2="6" stroke="${C.freeze}" stroke-width="2.5" stroke-opacity="0.55"/></pattern></defs>`), 'freeze']);
  items.push([swatch(`<rect x="1" y="0" width="20" height="14" fill="${C.weekend}"/>`), 'weekend']);
  items.push([swatch(`<line x1="11" y1="0" x2="11" y2="14" stroke="${C.muted}" stroke-width="1.5" stroke-dasharray="4 3"/>`), 'end of the rehearsal']);
  items.push([swatch(`<rect x="1" y="1" width="20" height="12" rx="3" fill="none" stroke="${C.missed}" stroke-width="2" stroke-dasharray="4 2"/>`), 'misses the cutover window']);
  return `<ul class="legend" aria-label="legend">${items.map(([s, label]) => `<li>${s}<span>${label}</span></li>`).join('')}</ul>`;
}

function table(head: string[], rows: string[][], opts: { caption?: string; className?: string } = {}): string {
  return (
    `<div class="scroll"><table${opts.className ? ` class="${opts.className}"` : ''}>${opts.caption ? `<caption>${opts.caption}</caption>` : ''}` +
    `<thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`
  );
}

const fitsText = (a: ApplicationForecast) => (a.fitsWindow === null ? '<span class="muted">no window</span>' : a.fitsWindow ? '<span class="yes">fits</span>' : '<strong class="no">misses</strong>');

export function forecastHtml(f: Forecast): string {
  const zone = f.timeZone;
  const t = (ms: number | undefined) => (ms === undefined ? '<span class="muted">\u2013</span>' : escapeHtml(local(ms, zone)));
  const e = escapeHtml;
  /** Shorter, for the summary table: `Mon 30 Nov 09:00` (the full time as its tooltip). */
  const short = (ms: number | undefined) => {
    if (ms === undefined) return t(undefined);
    const w = wallTimeIn(ms, zone);
    const weekday = WEEKDAY[new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay()];
    return `<span title="${e(local(ms, zone))}">${e(`${weekday} ${w.day} ${MONTH[w.month - 1]} ${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`)}</span>`;
  };
  const outcomeClass = f.outcome === 'SUCCEEDED' ? 'ok' : /FAIL|ABORT|TIMED/.test(f.outcome) ? 'bad' : 'warn';
  const servers = f.applications.reduce((n, a) => n + a.servers, 0);
  const main = mainView(f);
  const zoom = zoomView(f, main);
  const days = Math.round(((f.endedAt - f.startedAt) / DAY) * 10) / 10;

  const facts: string[] = [
    `<div><dt>Time zone</dt><dd>${e(zone)}</dd></div>`,
    `<div><dt>Rehearsed</dt><dd>${t(f.startedAt)} to ${t(f.endedAt)} (${e(num(days))} days)</dd></div>`,
    `<div><dt>Outcome</dt><dd><span class="outcome ${outcomeClass}">${e(f.outcome)}</span></dd></div>`,
    `<div><dt>Cutover window</dt><dd>${f.cutoverWindow ? `${t(f.cutoverWindow.start)} to ${t(f.cutoverWindow.end)}` : '<span class="muted">none</span>'}</dd></div>`,
    ...(f.freeze.length ? [`<div><dt>Freeze${f.freeze.length > 1 ? 's' : ''}</dt><dd>${f.freeze.map((fr) => `${t(fr.start)} to ${t(fr.end)}${fr.reason ? ` (${e(fr.reason)})` : ''}`).join('<br>')}</dd></div>`] : []),
    `<div><dt>Applications</dt><dd>${f.applications.length} (${plural(servers, 'server')})</dd></div>`,
  ];

  const SHOWN = 12;
  const riskItem = (r: Forecast['risks'][number]) => `<li><span class="kind">${e(r.kind)}</span> ${e(r.message)}</li>`;
  const risks = f.risks.length === 0
    ? `<section class="risks none" aria-label="what would break"><p><strong>Nothing would break.</strong></p></section>`
    : `<section class="risks" aria-label="what would break"><h2>What would break (${f.risks.length})</h2><ul>${f.risks.slice(0, SHOWN).map(riskItem).join('')}</ul>` +
      (f.risks.length > SHOWN ? `<details><summary>${f.risks.length - SHOWN} more</summary><ul>${f.risks.slice(SHOWN).map(riskItem).join('')}</ul></details>` : '') +
      `</section>`;

  const summary = table(
    ['Application', 'Servers', 'Result', 'Test launch', 'Sign-off decided', 'Cutover launch', 'Finalized', 'Window', 'Test-instance hours', 'EC2 cost'],
    f.applications.map((a) => [
      `<strong>${e(a.name)}</strong>${a.canary ? ' <span class="tag">canary</span>' : ''}`,
      String(a.servers),
      `${e(a.result)}${a.why && a.result !== 'succeeded' ? `<div class="why">${e(a.why)}</div>` : ''}`,
      short(a.testLaunchAt),
      short(signoffDecidedAt(a)),
      short(a.cutoverLaunchAt),
      short(a.finalizedAt),
      fitsText(a),
      e(hours(a.testInstanceHours)),
      e(money(a.ec2CostUsd)),
    ]),
    { className: 'summary' },
  );

  const detail = (a: ApplicationForecast) => {
    const rows: string[][] = [];
    rows.push(['test launch', t(a.testLaunchAt), a.testLaunchedAt !== undefined ? `launched ${t(a.testLaunchedAt)}` : t(undefined), '', '']);
    for (const g of a.gates) {
      rows.push([
        `${e(gateLabel(g.gate))} <span class="muted">${e(g.gate)}</span>`,
        `asked ${t(g.askedAt)}`,
        g.decidedAt !== undefined ? `decided ${t(g.decidedAt)}` : '<strong class="no">not decided</strong>',
        g.decision !== undefined ? e(g.decision) : '',
        g.approvers.map(e).join('<br>') || '<span class="muted">none</span>',
      ]);
    }
    rows.push(['cutover launch', t(a.cutoverLaunchAt), a.cutoverLaunchedAt !== undefined ? `launched ${t(a.cutoverLaunchedAt)}` : t(undefined), '', '']);
    rows.push(['finalized', '', t(a.finalizedAt), '', '']);
    return (
      `<details class="app"${f.applications.length <= 20 ? ' open' : ''} data-app="${e(a.name)}"><summary><strong>${e(a.name)}</strong>${a.canary ? ' <span class="tag">canary</span>' : ''} ` +
      `<span class="muted">${plural(a.servers, 'server')}, ${e(a.result)}; window: </span>${fitsText(a)}<span class="muted">; test instances ${e(hours(a.testInstanceHours))}, about ${e(money(a.ec2CostUsd))}</span></summary>` +
      table(['Step', 'Asked / planned', 'Decided / done', 'Decision', 'Approvers'], rows) +
      `</details>`
    );
  };

  const q = f.quotas;
  const full = (peak: number, quota: number) => (peak >= quota ? ' <strong class="no">full</strong>' : '');
  const quotas = table(
    ['MGN quota', 'Peak', 'Quota'],
    [
      ['concurrent jobs', String(q.peakJobs), `${q.jobQuota}${full(q.peakJobs, q.jobQuota)}`],
      ['servers in jobs', String(q.peakServersInJobs), `${q.serversInJobsQuota}${full(q.peakServersInJobs, q.serversInJobsQuota)}`],
      ['servers waiting at a launch point at once', String(q.peakWaitingAtLaunchPoints), ''],
      ...(q.waitedForJobSlotsAt !== undefined ? [['launches first queued for a job slot', t(q.waitedForJobSlotsAt), '']] : []),
    ],
  );

  const countTable = (head: string, counts: Record<string, number>, sort: boolean) => {
    const entries = Object.entries(counts);
    if (sort) entries.sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    if (entries.length === 0) return '<p class="muted">none</p>';
    const max = Math.max(...entries.map(([, n]) => n), 1);
    return table(
      [head, 'Approvals'],
      entries.map(([k, n]) => [e(k), `<span class="count"><span class="meter" style="width:${Math.round((n / max) * 100)}%"></span></span>${n}`]),
    );
  };

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Rehearsal of ${e(f.wave)}: ${e(f.outcome)}</title>
<style>
${CSS}
</style>
</head>
<body>
<main>
<header>
<p class="kicker">mgn-flow wave rehearse \u00b7 forecast</p>
<h1>${e(f.wave)}</h1>
<dl class="facts">${facts.join('')}</dl>
${risks}
</header>

<section aria-labelledby="h-timeline">
<h2 id="h-timeline">Timeline</h2>
<p class="muted small">Times in ${e(zone)}. Hover a bar, a diamond or a band for its times and approvers.</p>
${legend(f)}
<div class="chart">
${timeline(f, main)}
</div>
${zoom ? `<h3>The cutover window, zoomed in</h3>\n<p class="muted small">${t(zoom.start)} to ${t(zoom.end)}</p>\n<div class="chart">\n${timeline(f, zoom)}\n</div>` : ''}
</section>

<section aria-labelledby="h-apps">
<h2 id="h-apps">Applications</h2>
${f.applications.length ? summary : '<p class="muted">No applications.</p>'}
${f.applications.map(detail).join('\n')}
</section>

<section class="cols">
<div>
<h2>MGN job quotas</h2>
${quotas}
</div>
<div>
<h2>Approvals per day</h2>
${countTable('Day', f.approvals.perDay, false)}
</div>
<div>
<h2>Approvals per approver</h2>
${countTable('Approver', f.approvals.perApprover, true)}
</div>
</section>

<section aria-labelledby="h-totals">
<h2 id="h-totals">Totals</h2>
<dl class="facts">
<div><dt>Test-instance hours</dt><dd>${e(hours(f.testInstanceHours))}</dd></div>
<div><dt>EC2 cost of the test instances</dt><dd>about ${e(money(f.ec2CostUsd))}</dd></div>
<div><dt>Approvals</dt><dd>${Object.values(f.approvals.perApprover).reduce((n, c) => n + c, 0)}</dd></div>
</dl>
</section>

<section aria-labelledby="h-assumptions">
<h2 id="h-assumptions">Assumptions</h2>
${f.assumptions.length ? `<ul class="assumptions">${f.assumptions.map((a) => `<li>${e(a)}</li>`).join('')}</ul>` : '<p class="muted">none</p>'}
</section>

<footer>
Wave file ${e(f.waveFile)}, seed ${e(f.seed)}. Rehearsed in ${e(f.wallSeconds)} s of wall time: ${e(f.transitions)} state transitions, ${e(f.mgnCalls)} MGN requests.
</footer>
</main>
</body>
</html>
`;
}

const CSS = `
:root { --fg: ${C.text}; --muted: ${C.muted}; --line: #d5dbe1; --panel: #f6f8fa; --bad: ${C.missed}; --ok: #1b7f4b; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 24px; margin: 0 0 12px; overflow-wrap: anywhere; }
h3 { font-size: 15px; margin: 20px 0 2px; }
h2 { font-size: 17px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.kicker { margin: 0 0 2px; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .06em; }
.muted { color: var(--muted); }
.small { font-size: 13px; margin: 0 0 8px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0 0 16px; }
.facts div { min-width: 0; }
.facts dt { font-size: 12px; color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.outcome { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; border: 1px solid; }
.outcome.ok { color: var(--ok); background: #e7f5ec; }
.outcome.bad { color: var(--bad); background: #fdecea; }
.outcome.warn { color: #8a5a00; background: #fff4db; }
.risks { border: 1px solid #e0a39a; border-left: 6px solid var(--bad); background: #fff6f4; border-radius: 4px; padding: 10px 16px; margin: 8px 0 0; }
.risks h2 { margin: 0 0 6px; border: 0; padding: 0; font-size: 16px; color: var(--bad); }
.risks ul { margin: 0; padding-left: 20px; }
.risks li { margin: 3px 0; overflow-wrap: anywhere; }
.risks .kind { display: inline-block; font-size: 11px; font-weight: 600; color: #7a2a20; background: #f9dcd6; border-radius: 3px; padding: 0 5px; margin-right: 4px; }
.risks details { margin-top: 6px; }
.risks.none { border-color: #a7d7b8; border-left-color: var(--ok); background: #f1faf4; }
.risks.none p { margin: 0; color: var(--ok); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0 0 10px; padding: 0; font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { flex: none; }
.chart { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; }
.chart svg.timeline { display: block; width: 100%; min-width: 860px; height: auto; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: normal; min-width: 4em; }
.cols td:first-child { white-space: normal; min-width: 9em; }
td .why { white-space: normal; min-width: 12em; max-width: 22em; color: var(--muted); font-size: 12px; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; background: #e8eef7; color: #1d3557; font-weight: 600; }
.yes { color: var(--ok); font-weight: 600; }
.no { color: var(--bad); }
details.app { margin: 12px 0; border: 1px solid var(--line); border-radius: 4px; padding: 6px 10px; }
details.app summary { cursor: pointer; overflow-wrap: anywhere; }
details.app table { margin-top: 6px; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 0 28px; }
.cols > div { min-width: 0; }
.count { display: inline-block; width: 80px; height: 8px; background: var(--panel); border-radius: 4px; margin-right: 8px; vertical-align: middle; overflow: hidden; }
.meter { display: block; height: 100%; background: #5b8db8; }
.assumptions li { overflow-wrap: anywhere; }
footer { margin-top: 32px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  main { padding: 14px 12px 28px; }
  h1 { font-size: 20px; }
  .facts { gap: 4px 18px; }
}
@media print { .chart { overflow: visible; border: 0; } details.app { break-inside: avoid; } }
`;
