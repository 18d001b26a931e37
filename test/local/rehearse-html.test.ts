import { describe, expect, it } from 'vitest';
import { escapeHtml, forecastHtml } from '../../src/local/rehearse-html.ts';
import { emptyForecast, handMadeForecast, NASTY } from './rehearse-html.fixture.ts';

/**
 * `mgn-flow wave rehearse --html`: the forecast as one self-contained page, a Gantt chart in inline SVG and
 * the figures as tables; no script, nothing from elsewhere, every text from the forecast escaped.
 */

/** The whole-period chart (the page may add a zoom on the cutover window after it). */
function mainChart(html: string): string {
  const m = /<svg[^>]*class="timeline timeline-main"[^]*?<\/svg>/.exec(html);
  if (!m) throw new Error('no main timeline in the page');
  return m[0];
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe('forecast as an HTML timeline', () => {
  const f = handMadeForecast();
  const html = forecastHtml(f);

  it('is one self-contained page: no script, no event handler, nothing loaded from elsewhere', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|image|use)\b/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\((?!#)/i);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('escapes every text taken from the forecast: the wave, applications, approvers, risks, freezes, assumptions', () => {
    for (const raw of Object.values(NASTY)) {
      expect(html, raw).not.toContain(raw);
      expect(html, raw).toContain(escapeHtml(raw));
    }
    expect(html).toContain('portal: misses the cutover window &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(html).toContain('qa&amp;lead@example.com');
    expect(html).toContain('&lt;cab&gt;@example.com');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('has a header with the wave, its time zone, the rehearsed period and the outcome, and the risks in a warning box', () => {
    expect(html).toContain(`<h1>${escapeHtml(NASTY.wave)}</h1>`);
    expect(html).toContain('Europe/Berlin');
    expect(html).toContain('Mon 2026-11-30 09:00 to Mon 2026-12-07 12:00');
    expect(html).toMatch(/class="outcome bad">FAILED</);
    const risks = /<section class="risks"[^]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(risks).toContain('What would break (3)');
    expect(count(risks, /<li>/g)).toBe(3);
    expect(html).not.toContain('Nothing would break');
  });

  it('draws one row per application, the canary marked, the one that misses the window outlined in red', () => {
    const svg = mainChart(html);
    expect(svg).toContain('viewBox="0 0 1200 ');
    const rows = [...svg.matchAll(/<g class="(row[^"]*)" data-app="([^"]*)"/g)].map((m) => ({ cls: m[1], app: m[2] }));
    expect(rows.map((r) => r.app)).toEqual(f.applications.map((a) => escapeHtml(a.name)));
    expect(rows[0]?.cls).toBe('row canary');
    expect(rows[1]?.cls).toBe('row missed');
    expect(count(svg, /class="missed-outline"/g)).toBe(1);
    expect(svg).toContain('misses window');
    // test / soak and waiting for both, the cutover for the one that launched
    expect(count(svg, /class="bar test"/g)).toBe(2);
    expect(count(svg, /class="bar waiting"/g)).toBe(2);
    expect(count(svg, /class="bar cutover"/g)).toBe(1);
  });

  it('labels the days in the wave\'s time zone and shades the weekend', () => {
    const svg = mainChart(html);
    for (const d of ['Mon 30 Nov', 'Tue 1 Dec', 'Wed 2 Dec', 'Thu 3 Dec', 'Fri 4 Dec', 'Sat 5 Dec', 'Sun 6 Dec']) expect(svg).toContain(`>${d}</text>`);
    expect(count(svg, /class="weekend"/g)).toBe(2);
  });

  it('draws the cutover window and the freeze as bands, the freeze with its reason', () => {
    const svg = mainChart(html);
    expect(svg).toMatch(/<g class="window"><rect[^>]*><title>cutover window Sat 2026-12-05 02:00 to Sat 2026-12-05 06:00<\/title>/);
    expect(svg).toMatch(/<g class="freeze"><rect[^>]*fill="url\(#freeze-hatch-main\)"/);
    expect(svg).toContain(`<title>freeze Thu 2026-12-03 18:00 to Fri 2026-12-04 08:00: ${escapeHtml(NASTY.freeze)}</title>`);
  });

  it('marks each gate where it is asked (hollow) and where it is decided (filled), with times and approvers as a tooltip', () => {
    const svg = mainChart(html);
    const gates = f.applications.flatMap((a) => a.gates);
    expect(count(svg, /class="gate gate-asked/g)).toBe(gates.length);
    expect(count(svg, /class="gate gate-decided"/g)).toBe(gates.filter((g) => g.decidedAt !== undefined).length);
    expect(count(svg, /class="gate gate-asked undecided"/g)).toBe(1);
    expect(svg).toContain(`sign-off (SIGNOFF): asked Mon 2026-11-30 09:25, decided Tue 2026-12-01 13:00 (approve); approvers: ${escapeHtml(NASTY.approver)}`);
    expect(svg).toContain(`go/no-go (GO_NO_GO): asked Sat 2026-12-05 02:00, NOT decided; approvers: ${escapeHtml(NASTY.cab)}, cto@example.com`);
  });

  it('zooms in on the cutover window when the whole chart draws it narrow', () => {
    expect(count(html, /class="timeline timeline-zoom"/g)).toBe(1);
    expect(html).toContain('The cutover window, zoomed in');
  });

  it('lists per application its launches, gates, window fit, test-instance hours and cost; quotas, approvals, totals, assumptions', () => {
    for (const a of f.applications) expect(html).toContain(`<details class="app" open data-app="${escapeHtml(a.name)}">`);
    expect(html).toContain('<strong class="no">not decided</strong>');
    expect(html).toContain('<span class="yes">fits</span>');
    expect(html).toContain('<strong class="no">misses</strong>');
    expect(html).toContain('62.5 h');
    expect(html).toContain('$40.50');
    expect(html).toContain('<td>concurrent jobs</td><td>2</td><td>20</td>');
    expect(html).toMatch(/<td>2026-12-01<\/td><td>[^]*?2<\/td>/);
    expect(html).toMatch(/<td>qa&amp;lead@example\.com<\/td><td>[^]*?2<\/td>/);
    expect(html).toContain('146.75 h');
    expect(html).toContain('about $52.84');
    expect(html).toContain(`<li>${escapeHtml(NASTY.assumption)}</li>`);
  });

  it('renders an empty forecast (no applications, no window, nothing would break)', () => {
    const empty = forecastHtml(emptyForecast());
    expect(empty).not.toMatch(/<script/i);
    expect(empty).not.toMatch(/NaN|undefined|Infinity/);
    expect(empty).toContain('Nothing would break.');
    const svg = mainChart(empty);
    expect(svg).not.toContain('class="row');
    expect(svg).not.toContain('class="window"');
    expect(svg).toContain('no applications in this forecast');
    expect(empty).not.toContain('timeline-zoom');
    expect(empty).toContain('No applications.');
  });
});
