import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ListServiceQuotasCommand,
  NoSuchResourceException,
  ServiceQuotasClient,
  paginateListServiceQuotas,
} from '@aws-sdk/client-service-quotas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceQuotas } from '../../../../src/local/cloud/quotas/index.ts';
import { QUOTAS, type Quotas, defaultQuotas } from '../../../../src/local/emulator/config.ts';
import { LOCAL_CLIENT, type LocalServer, serveLocal } from '../../../helpers/local-server.ts';

describe('local Service Quotas through @aws-sdk/client-service-quotas', () => {
  const quotas: Quotas = { ...defaultQuotas(), concurrentJobs: 5 };
  let server: LocalServer;
  let client: ServiceQuotasClient;

  beforeAll(async () => {
    server = await serveLocal(createServiceQuotas({ quotas: () => quotas }));
    client = new ServiceQuotasClient({ ...LOCAL_CLIENT, endpoint: server.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('returns the value in force now, with the code, name and adjustable flag of the quota', async () => {
    const { Quota } = await client.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: QUOTAS.concurrentJobs.code }));
    expect(Quota).toEqual({
      ServiceCode: 'mgn',
      ServiceName: 'AWS Application Migration Service',
      QuotaArn: 'arn:aws:servicequotas:us-east-1:111122223333:mgn/L-FE2EBE17',
      QuotaCode: 'L-FE2EBE17',
      QuotaName: 'Concurrent jobs in progress',
      Value: 5,
      Unit: 'None',
      Adjustable: false,
      GlobalQuota: false,
      QuotaAppliedAtLevel: 'ACCOUNT',
    });
  });

  it('reads the value at each call, so a changed emulator quota shows at once', async () => {
    quotas.maxActiveSourceServers = 500;
    const { Quota } = await client.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-9A599620' }));
    expect(Quota).toMatchObject({ Value: 500, Adjustable: true });
    const { Quota: aws } = await client.send(new GetAWSDefaultServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-9A599620' }));
    expect(aws?.Value).toBe(150);
  });

  it('answers NoSuchResourceException for an unknown quota code or service', async () => {
    const err = await client.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-00000000' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoSuchResourceException);
    expect((err as Error).message).toMatch(/L-00000000/);
    await expect(client.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' }))).rejects.toThrow(NoSuchResourceException);
    await expect(client.send(new ListServiceQuotasCommand({ ServiceCode: 'ec2' }))).rejects.toThrow(NoSuchResourceException);
  });

  it('lists every MGN quota, page by page', async () => {
    const seen: string[] = [];
    for await (const page of paginateListServiceQuotas({ client, pageSize: 4 }, { ServiceCode: 'mgn' })) {
      expect(page.Quotas!.length).toBeLessThanOrEqual(4);
      seen.push(...page.Quotas!.map((q) => `${q.QuotaCode}=${q.Value}`));
    }
    expect(seen).toEqual(Object.entries(QUOTAS).map(([name, q]) => `${q.code}=${quotas[name as keyof Quotas]}`));
  });
});
