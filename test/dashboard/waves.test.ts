import { describe, expect, it } from 'vitest';
import type { Wave } from '../../src/core/wave-file.ts';
import { wavePlans } from '../../src/dashboard/waves.ts';

describe('wavePlans (the board)', () => {
  it("gives the account of an application in another account of MGN's global view, and none for the home account's", async () => {
    const wave: Wave = {
      name: 'w1',
      timeZone: 'UTC',
      source: { kind: 'file', file: 'w1.yaml' },
      defaults: { soakDays: 1, concurrency: 1, failurePolicy: 'continue', archive: true },
      cutoverWindow: null,
      approvers: { testSignoff: [], goNoGo: [], finalize: [] },
      freeze: [],
      applications: [
        { name: 'shop', canary: false, standalone: false, servers: [{ id: 's-00000000000000001' }] },
        { name: 'erp', canary: false, standalone: false, account: '222233334444', servers: [{ id: 's-00000000000000002' }] },
      ],
    };
    const plans = await wavePlans({
      waves: { listDefinitions: async () => [wave], outcomes: async () => [], holds: async () => [], getReport: async () => undefined },
      waits: { list: async () => [] },
      gates: { get: async () => undefined },
      points: { get: async () => undefined },
    })();
    expect(plans[0]?.applications.map((a) => [a.application, a.account])).toEqual([
      ['shop', undefined],
      ['erp', '222233334444'],
    ]);
  });
});
