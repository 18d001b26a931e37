import type { ServerResponse } from 'node:http';
import { QUOTAS, type QuotaName, type Quotas } from '../../emulator/config.ts';
import { AwsError, type LocalRequest, type LocalService, handleJsonProtocol, jsonTarget, pageOf } from '../protocol.ts';

/**
 * Service Quotas stand-in (awsJson1_1, target prefix `ServiceQuotasV20190624`) for MGN's quotas: the applied
 * values are read at each call from the emulator (`engine.quotas`, set by `--quota name=value`), the codes,
 * names and adjustable flags from QUOTAS. GetServiceQuota, GetAWSDefaultServiceQuota, ListServiceQuotas,
 * ListAWSDefaultServiceQuotas; any other service is NoSuchResourceException.
 */

export const SERVICE_QUOTAS_TARGET = 'ServiceQuotasV20190624';
const SERVICE_CODE = 'mgn';
const SERVICE_NAME = 'AWS Application Migration Service';

export interface LocalServiceQuotasOptions {
  /** The quotas in force now (the emulator's `engine.quotas`). */
  quotas: () => Quotas;
  region?: string;
  accountId?: string;
}

const noSuch = (message: string) => new AwsError('NoSuchResourceException', message, 404);

export function createServiceQuotas(opts: LocalServiceQuotasOptions): LocalService {
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '111122223333';
  const byCode = new Map<string, QuotaName>(Object.entries(QUOTAS).map(([name, q]) => [q.code, name as QuotaName]));

  const quota = (name: QuotaName, value: number) => {
    const q = QUOTAS[name];
    return {
      ServiceCode: SERVICE_CODE,
      ServiceName: SERVICE_NAME,
      QuotaArn: `arn:aws:servicequotas:${region}:${accountId}:${SERVICE_CODE}/${q.code}`,
      QuotaCode: q.code,
      QuotaName: q.name,
      Value: value,
      Unit: 'None',
      Adjustable: q.adjustable,
      GlobalQuota: false,
      QuotaAppliedAtLevel: 'ACCOUNT',
    };
  };

  const service = (input: Record<string, unknown>): void => {
    const code = input.ServiceCode;
    if (typeof code !== 'string' || code === '') throw new AwsError('IllegalArgumentException', 'ServiceCode is required', 400);
    if (code !== SERVICE_CODE) throw noSuch(`The request failed because the specified service does not exist. (local: only ${SERVICE_CODE})`);
  };

  const named = (input: Record<string, unknown>): QuotaName => {
    service(input);
    const code = input.QuotaCode;
    if (typeof code !== 'string' || code === '') throw new AwsError('IllegalArgumentException', 'QuotaCode is required', 400);
    const name = byCode.get(code);
    if (!name) throw noSuch(`The request failed because the specified quota ${code} does not exist for service ${SERVICE_CODE}.`);
    return name;
  };

  const list = (input: Record<string, unknown>, value: (name: QuotaName) => number) => {
    service(input);
    const all = (Object.keys(QUOTAS) as QuotaName[]).map((name) => quota(name, value(name)));
    const max = input.MaxResults;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100)) {
      throw new AwsError('IllegalArgumentException', 'MaxResults must be between 1 and 100', 400);
    }
    let paged: { page: unknown[]; nextToken?: string };
    try {
      paged = pageOf(all, max, input.NextToken, 100);
    } catch {
      throw new AwsError('InvalidPaginationTokenException', 'Invalid NextToken', 400);
    }
    return { Quotas: paged.page, ...(paged.nextToken ? { NextToken: paged.nextToken } : {}) };
  };

  return {
    name: 'servicequotas',
    matches: (req: LocalRequest) => jsonTarget(req, SERVICE_QUOTAS_TARGET) !== undefined,
    handle: (req: LocalRequest, res: ServerResponse) =>
      handleJsonProtocol(req, res, {
        prefix: SERVICE_QUOTAS_TARGET,
        namespace: 'com.amazonaws.servicequotas',
        contentType: 'application/x-amz-json-1.1',
        operations: {
          GetServiceQuota: (input) => {
            const name = named(input);
            return { Quota: quota(name, opts.quotas()[name]) };
          },
          GetAWSDefaultServiceQuota: (input) => {
            const name = named(input);
            return { Quota: quota(name, QUOTAS[name].value) };
          },
          ListServiceQuotas: (input) => {
            const current = opts.quotas();
            return list(input, (name) => current[name]);
          },
          ListAWSDefaultServiceQuotas: (input) => list(input, (name) => QUOTAS[name].value),
        },
      }),
  };
}
