import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/local/emulator/index.ts';
import { type Forecast, OFFICE_HOURS, nextWorkingMoment, parseDuration, parseWorkingHours, readAccountServers, rehearse } from '../../src/local/rehearse.ts';

/**
 * `mgn-flow wave rehearse`: a wave file run by the product on the local cloud in discrete-event time, with
 * people deciding after a delay in working hours; the forecast says when each gate and launch happens and
 * what would break.
 */
const FILE = join(import.meta.dirname, '../fixtures/waves/rehearsal.yaml');
// Wednesday 2026-12-09 09:00 in Berlin; the window is Saturday 2026-12-12 02:00-06:00
const WEDNESDAY = Date.parse('2026-12-09T08:00:00Z');
const HOUR = 3_600_000;

const stable = (f: Forecast) => JSON.stringify({ ...f, wallSeconds: 0 });

describe('wave rehearse', () => {
  it('a change board on call (always, 1 h): every application cuts over inside the window, nothing would break; the same seed gives the same forecast', { timeout: 120_000 }, async () => {
    const opts = { waveFile: FILE, approverDelayMs: HOUR, workingHours: 'always' as const, replication: 'caught-up' as const, startAt: WEDNESDAY, seed: 3 };
    const f = await rehearse(opts);
    expect(f.outcome).toBe('SUCCEEDED');
    expect(f.risks).toEqual([]);
    expect(f.applications.map((a) => [a.name, a.result, a.fitsWindow])).toEqual([
      ['billing', 'succeeded', true],
      ['portal', 'succeeded', true],
      ['fra-prd-jump-09', 'succeeded', true],
    ]);
    for (const a of f.applications) {
      const gates = Object.fromEntries(a.gates.map((g) => [g.gate, g]));
      // the sign-off comes at the end of the one-day soak plus the hour; the go/no-go an hour into the window
      expect(gates.SIGNOFF?.decidedAt).toBeGreaterThanOrEqual((gates.SIGNOFF?.askedAt ?? 0) + 25 * HOUR - 60_000);
      expect(gates.GO_NO_GO?.askedAt).toBe(Date.parse('2026-12-12T01:00:00Z'));
      expect(gates.GO_NO_GO?.decidedAt).toBe(Date.parse('2026-12-12T02:00:00Z'));
      expect(a.cutoverLaunchAt).toBeGreaterThanOrEqual(gates.GO_NO_GO?.decidedAt ?? Infinity);
      expect(a.testInstanceHours).toBeGreaterThan(24);
      expect(a.ec2CostUsd).toBeGreaterThan(0);
    }
    // one request per gate and application, to the person the wave names for it
    expect(f.approvals.perApprover).toEqual({ 'change-manager@example.com': 3, 'ops-lead@example.com': 3, 'qa-lead@example.com': 3 });
    expect(f.quotas.peakJobs).toBeGreaterThan(0);
    expect(f.quotas.peakJobs).toBeLessThanOrEqual(20);

    const again = await rehearse(opts);
    expect(stable(again)).toBe(stable(f));
  });

  it('approvers in office hours (4 h): the go/no-go asked on Saturday night closes with the window before Monday, every cutover misses the window', { timeout: 120_000 }, async () => {
    const f = await rehearse({ waveFile: FILE, approverDelayMs: 4 * HOUR, workingHours: OFFICE_HOURS, replication: 'caught-up', startAt: WEDNESDAY, seed: 3 });
    expect(f.outcome).toBe('FAILED');
    for (const a of f.applications) {
      const goNoGo = a.gates.find((g) => g.gate === 'GO_NO_GO');
      expect(goNoGo?.askedAt).toBe(Date.parse('2026-12-12T01:00:00Z'));
      // Monday 09:00 Berlin is the first working moment after Saturday 02:00 + 4 h: the go/no-go closed at the
      // end of the window before that, so the Monday approval is refused (issue 13: no cutover outside it)
      expect(goNoGo?.decidedAt).toBeUndefined();
      expect(a.fitsWindow).toBe(false);
    }
    expect(f.risks.filter((r) => r.kind === 'window-missed').map((r) => r.application)).toEqual(['billing', 'portal', 'fra-prd-jump-09']);
    expect(f.risks.filter((r) => r.kind === 'gate-expired' && r.message.includes('GO_NO_GO')).map((r) => r.application)).toEqual(['billing', 'portal', 'fra-prd-jump-09']);
  });

  it('--from-stage: the account\'s own servers (DescribeSourceServers only), their disks and replication as read; a name the account lacks is an error', { timeout: 120_000 }, async () => {
    const account = await startEmulator({ servers: 4, seed: 21, start: 'ready-for-test' });
    try {
      const servers = [...account.engine.servers.values()];
      const hosts = servers.map((s) => s.properties.identificationHints.hostname);
      const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-rehearse-'));
      const file = join(dir, 'wave.yaml');
      writeFileSync(file, `version: 1\nwave: { name: from-account, timeZone: UTC }\ndefaults: { soakDays: 1, concurrency: 2, failurePolicy: continue, archive: true }\napplications:\n  - name: app\n    servers: [${hosts[0]}, ${servers[1]?.id}]\nservers: [${hosts[2]}]\n`);
      const specs = await readAccountServers(file, { region: 'us-east-1', endpoint: account.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      expect(specs.map((s) => s.id)).toEqual([servers[0]?.id, servers[1]?.id, servers[2]?.id]);
      expect(specs[0]?.disks?.map((d) => d.bytes)).toEqual(servers[0]?.properties.disks.map((d) => d.bytes));
      expect(specs.every((s) => s.start === 'ready-for-test')).toBe(true);
      // nothing but reads reached the account
      expect(new Set(account.http.log.map((e) => e.operation))).toEqual(new Set(['DescribeSourceServers']));

      const f = await rehearse({ waveFile: file, approverDelayMs: HOUR, workingHours: 'always', replication: 'caught-up', servers: specs, startAt: WEDNESDAY });
      expect(f.outcome).toBe('SUCCEEDED');
      expect(f.applications.map((a) => a.servers)).toEqual([2, 1]);

      writeFileSync(file, `version: 1\nwave: { name: from-account, timeZone: UTC }\nservers: [no-such-host-01]\n`);
      await expect(readAccountServers(file, { region: 'us-east-1', endpoint: account.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })).rejects.toThrow(/1 server\(s\) the wave names are not among the account's 4 source servers \(not archived\): no-such-host-01/);
    } finally {
      await account.close();
    }
  });

  it('reads durations and working hours people write, and refuses the rest with an example', () => {
    expect(parseDuration('4h')).toBe(4 * HOUR);
    expect(parseDuration('1h30m')).toBe(1.5 * HOUR);
    expect(parseDuration('2d')).toBe(48 * HOUR);
    expect(() => parseDuration('4 hours')).toThrow(/give a duration such as 4h, 30m, 2d or 1h30m/);
    expect(parseWorkingHours('always')).toBe('always');
    expect(parseWorkingHours('08:00-18:00 Mon-Sat')).toEqual({ startMin: 480, endMin: 1080, days: [1, 2, 3, 4, 5, 6] });
    expect(() => parseWorkingHours('18:00-08:00')).toThrow(/the start must be before the end/);
    expect(() => parseWorkingHours('9-5')).toThrow(/HH:MM-HH:MM/);
    // Friday 16:30 Berlin + nothing: still inside; Friday 17:30: Monday 09:00 (winter time, UTC+1)
    expect(nextWorkingMoment(Date.parse('2026-12-11T15:30:00Z'), 'Europe/Berlin', OFFICE_HOURS)).toBe(Date.parse('2026-12-11T15:30:00Z'));
    expect(nextWorkingMoment(Date.parse('2026-12-11T16:30:00Z'), 'Europe/Berlin', OFFICE_HOURS)).toBe(Date.parse('2026-12-14T08:00:00Z'));
  });
});
