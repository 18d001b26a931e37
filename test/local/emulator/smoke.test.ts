import { DescribeSourceServersCommand, StartTestCommand } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { HOURS, useEmulator } from '../../helpers/emulator.ts';

describe('emulator fixture', () => {
  const start = useEmulator();

  it('takes seeded servers to READY_FOR_TEST and launches a test job', async () => {
    const { mgn, advance, ids } = await start({ servers: 2 });
    await advance(30 * HOURS);
    const servers = (await mgn.send(new DescribeSourceServersCommand({}))).items ?? [];
    expect(servers.map((s) => s.lifeCycle?.state)).toEqual(['READY_FOR_TEST', 'READY_FOR_TEST']);
    const r = await mgn.send(new StartTestCommand({ sourceServerIDs: await ids() }));
    expect(r.$metadata.httpStatusCode).toBe(202);
    expect(r.job?.status).toBe('PENDING');
  });
});
