import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, type ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { Clock, QuotaPort } from '../../ports.ts';

/** MGN's quota codes in Service Quotas (reference/mgn-api.md section 11). */
export const MGN_QUOTA_CODES = {
  replicatingServers: 'L-9A599620',
  concurrentJobs: 'L-FE2EBE17',
  serversInActiveJobs: 'L-4FF77426',
  serversPerApplication: 'L-90A3F9F5',
} as const;

/**
 * MGN's quotas through Service Quotas: the account's applied value (GetServiceQuota), or AWS's default when
 * the account has none applied (NoSuchResourceException), cached for `cacheSeconds` per container.
 */
export function createQuotaPort(client: ServiceQuotasClient, opts: { clock: Clock; cacheSeconds?: number }): QuotaPort {
  const ttl = (opts.cacheSeconds ?? 300) * 1000;
  let cached: { at: number; value: Awaited<ReturnType<QuotaPort['mgnLimits']>> } | undefined;
  const read = async (code: string): Promise<number> => {
    try {
      const r = await client.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: code }));
      return Number(r.Quota?.Value);
    } catch (err) {
      if ((err as Error).name !== 'NoSuchResourceException') throw err;
      const r = await client.send(new GetAWSDefaultServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: code }));
      return Number(r.Quota?.Value);
    }
  };
  return {
    async mgnLimits() {
      const now = opts.clock.now().getTime();
      if (cached && now - cached.at < ttl) return cached.value;
      const [replicatingServers, concurrentJobs, serversInActiveJobs, serversPerApplication] = await Promise.all(Object.values(MGN_QUOTA_CODES).map(read));
      const value = { replicatingServers, concurrentJobs, serversInActiveJobs, serversPerApplication } as Awaited<ReturnType<QuotaPort['mgnLimits']>>;
      for (const [k, v] of Object.entries(value)) if (!Number.isFinite(v) || v <= 0) throw new Error(`Service Quotas returned no usable value for MGN quota ${k} (${MGN_QUOTA_CODES[k as keyof typeof MGN_QUOTA_CODES]})`);
      cached = { at: now, value };
      return value;
    },
  };
}
