import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';

/** mgn-flow wave rehearse: flags checked before anything runs; a real rehearsal prints the forecast. */
describe('mgn-flow wave rehearse', () => {
  const FIXTURE = join(import.meta.dirname, '../fixtures/waves/rehearsal.yaml');

  it('refuses bad flags and files with 2 (or 3 for a missing file) and says what is allowed', async () => {
    const delay = await run(['wave', 'rehearse', FIXTURE, '--approver-delay', '4 hours']);
    expect(delay.code).toBe(2);
    expect(delay.stderr).toMatch(/--approver-delay 4 hours: give a duration such as 4h, 30m, 2d or 1h30m/);
    const hours = await run(['wave', 'rehearse', FIXTURE, '--working-hours', '9-5']);
    expect(hours.code).toBe(2);
    expect(hours.stderr).toMatch(/--working-hours 9-5: give HH:MM-HH:MM/);
    const region = await run(['wave', 'rehearse', FIXTURE, '--region', 'eu-central-1']);
    expect(region.code).toBe(2);
    expect(region.stderr).toMatch(/--region and --profile are for --from-stage/);
    const missing = await run(['wave', 'rehearse', 'no-such-wave.yaml']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no-such-wave.yaml: no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-rehearse-cli-'));
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nwave: { name: x, timeZone: Mars/Olympus }\n');
    const bad = await run(['wave', 'rehearse', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad.yaml:wave.timeZone: "Mars\/Olympus"/);
    const start = await run(['wave', 'rehearse', FIXTURE, '--start', 'tomorrow']);
    expect(start.code).toBe(2);
    expect(start.stderr).toMatch(/--start tomorrow:/);
  });

  it('rehearses the wave and prints the forecast; --html writes the timeline; exit 1 when something would break', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-rehearse-cli-'));
    const html = join(dir, 'timeline.html');
    const r = await run(['wave', 'rehearse', FIXTURE, '--start', '2026-12-09T09:00', '--approver-delay', '4h', '--html', html]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Forecast for wave-rehearsal');
    // the go/no-go closes with the window (Sat 06:00), before the approvers' Monday: never decided
    expect(r.stdout).toMatch(/go\/no-go\s+asked Sat 2026-12-12 02:00, NOT decided/);
    expect(r.stdout).toMatch(/what would break \(\d+\):/);
    expect(r.stdout).toContain('billing: misses the cutover window Sat 2026-12-12 02:00 to Sat 2026-12-12 06:00');
    expect(r.stderr).toContain('rehearse: wave-rehearsal: 3 application(s), 5 server(s), from 2026-12-09T09:00+01:00 Europe/Berlin');
    expect(readFileSync(html, 'utf8')).toContain('<svg');
  });
});
