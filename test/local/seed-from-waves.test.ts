import { describe, expect, it } from 'vitest';
import { MgnEngine } from '../../src/local/emulator/index.ts';
import { seedServers } from '../../src/local/emulator/seed.ts';
import { specsFromWaveTexts } from '../../src/local/seed-from-waves.ts';

describe('specsFromWaveTexts', () => {
  it("seeds an application's servers in the account it names (MGN's global view), the others in the home account", () => {
    const text = ['version: 1', 'wave: { name: w1, timeZone: UTC }', 'applications:', '  - { name: shop, servers: [shop-01] }', '  - { name: erp, account: "222233334444", servers: [erp-01] }', 'servers: [jump-01]', ''].join('\n');
    const specs = specsFromWaveTexts([{ file: 'w1.yaml', text }]);
    expect(specs.map((s) => [s.hostname, s.account])).toEqual([
      ['shop-01', undefined],
      ['erp-01', '222233334444'],
      ['jump-01', undefined],
    ]);
    const engine = new MgnEngine({ servers: 0, manualClock: true });
    const seeded = seedServers(engine, specs.length, 'ready-for-test', 0, specs);
    expect(seeded.map((s) => [s.properties.identificationHints.hostname, s.account, s.arn.split(':')[4]])).toEqual([
      ['shop-01', '111122223333', '111122223333'],
      ['erp-01', '222233334444', '222233334444'],
      ['jump-01', '111122223333', '111122223333'],
    ]);
    // the account joined MGN's global view
    expect([...engine.managedAccounts]).toEqual(['111122223333', '222233334444']);
  });
});
