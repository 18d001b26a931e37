import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';

const CSV = resolve(import.meta.dirname, '../fixtures/mgn-import/rehearse.csv');

describe('mgn-flow wave rehearse --mgn-import', () => {
  it('asks which wave of a file that lists several, and refuses a wave file and --mgn-import together', async () => {
    const both = await run(['wave', 'rehearse', 'wave.yaml', '--mgn-import', CSV]);
    expect(both.code).toBe(2);
    const several = await run(['wave', 'rehearse', '--mgn-import', CSV]);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/rehearse\.csv:6:1: "Wave 10": the file lists 2 waves \("Wave 9", "Wave 10"\); run one at a time with --wave-name <name>/);
  });

  it("rehearses the wave of MGN's import file: its 3 applications, forecast as for a wave file", { timeout: 120_000 }, async () => {
    const r = await run(['wave', 'rehearse', '--mgn-import', CSV, '--wave-name', 'Wave 9', '--approver-delay', '1h', '--working-hours', 'always', '--horizon-days', '1', '--json']);
    // 1: the forecast lists what would break (a 14-day soak does not end in the 1-day horizon)
    expect(r.code, r.stderr).toBe(1);
    const f = JSON.parse(r.stdout) as { wave: string; risks: { application?: string; kind: string }[] };
    expect(f.wave).toBe('Wave-9');
    expect([...new Set(f.risks.filter((x) => x.kind === "gate-expired").map((x) => x.application))].sort()).toEqual(["Web Shop", "billing-db", "reports, nightly"]);
  });
});
