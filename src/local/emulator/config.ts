import { readFileSync, existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * Fault knobs (docs/adr, "Interfaces"). Rates are probabilities in [0, 1]; every decision draws from a
 * PRNG seeded by the run's seed, so the same seed and the same calls give the same faults.
 */
export const FaultsSchema = z
  .object({
    throttleRate: z.number().min(0).max(1).default(0),
    internalErrorRate: z.number().min(0).max(1).default(0),
    errorAfterCommitRate: z.number().min(0).max(1).default(0),
    launchFailRate: z.number().min(0).max(1).default(0),
    stallRate: z.number().min(0).max(1).default(0),
    stallRecoverAfterS: z.number().min(0).default(600),
    eventDropRate: z.number().min(0).max(1).default(0),
    eventDupRate: z.number().min(0).max(1).default(0),
    eventReorderWindowS: z.number().min(0).default(0),
    /**
     * Slow launches: the share of launches whose conversion or first boot takes extra time, drawn
     * log-uniformly between slowLaunchMinS and slowLaunchMaxS (the default tail, 6 h, outlasts the plan's
     * launchTimeoutSeconds of 3 h and verifyTimeoutSeconds of 2 h).
     */
    slowLaunchRate: z.number().min(0).max(1).default(0),
    slowLaunchMinS: z.number().min(0).default(600),
    slowLaunchMaxS: z.number().min(0).default(6 * 3600),
  })
  .strict()
  .refine((f) => f.slowLaunchMaxS >= f.slowLaunchMinS, { message: 'slowLaunchMaxS must be at least slowLaunchMinS', path: ['slowLaunchMaxS'] });
export type Faults = z.infer<typeof FaultsSchema>;
export const NO_FAULTS: Faults = FaultsSchema.parse({});

/** MGN quotas (reference/mgn-api.md section 11.1) with their Service Quotas codes. */
export const QUOTAS = {
  maxActiveSourceServers: { code: 'L-9A599620', name: 'Max Active Source Servers', value: 150, adjustable: true },
  maxNonArchivedSourceServers: { code: 'L-50980698', name: 'Max Non-Archived Source Servers', value: 4000, adjustable: true },
  concurrentJobs: { code: 'L-FE2EBE17', name: 'Concurrent jobs in progress', value: 20, adjustable: false },
  maxServersPerJob: { code: 'L-F1FD732F', name: 'Max Source Servers in a single Job', value: 200, adjustable: false },
  maxServersInActiveJobs: { code: 'L-4FF77426', name: 'Max Source Servers in all Jobs', value: 200, adjustable: false },
  maxConcurrentJobsPerServer: { code: 'L-615F978B', name: 'Max concurrent Jobs per Source Server', value: 1, adjustable: false },
  maxActionsPerServer: { code: 'L-0E532B45', name: 'Max actions per source server', value: 100, adjustable: false },
  maxActiveApplications: { code: 'L-D5507441', name: 'Max active applications', value: 200, adjustable: false },
  maxActiveWaves: { code: 'L-9FD6E875', name: 'Max active waves', value: 200, adjustable: false },
  maxApplicationsPerWave: { code: 'L-CBE9E36A', name: 'Max applications per wave', value: 1000, adjustable: false },
  maxServersPerApplication: { code: 'L-90A3F9F5', name: 'Max source servers per application', value: 200, adjustable: false },
} as const;
export type QuotaName = keyof typeof QUOTAS;
export type Quotas = Record<QuotaName, number>;

export function defaultQuotas(): Quotas {
  return Object.fromEntries(Object.entries(QUOTAS).map(([k, q]) => [k, q.value])) as Quotas;
}

/** A user mistake in a flag or file: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * `--faults FILE_OR_JSON`: a path to a JSON file or an inline JSON object.
 * Unknown keys and out-of-range values are refused with the allowed form.
 */
export function parseFaultsArg(arg: string): Faults {
  const trimmed = arg.trim();
  let text = trimmed;
  let origin = 'inline JSON';
  if (!trimmed.startsWith('{')) {
    if (!existsSync(trimmed)) {
      throw new UsageError(`--faults: ${arg}: no such file; pass a JSON file path or inline JSON such as '{"throttleRate":0.1}'`);
    }
    text = readFileSync(trimmed, 'utf8');
    origin = trimmed;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--faults: ${origin}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = FaultsSchema.safeParse(raw);
  if (!parsed.success) {
    const allowed = Object.keys(FaultsSchema.shape).join(', ');
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new UsageError(`--faults: ${origin}: ${problems}. Allowed keys: ${allowed} (rates 0..1, times in seconds)`);
  }
  return parsed.data;
}

/**
 * `--quota name=value`: any quota may be lowered (to exercise limits in tests); only the quotas AWS lets
 * an account raise (adjustable) may be raised above the default.
 */
export function parseQuotaArgs(args: readonly string[]): Partial<Quotas> {
  const out: Partial<Quotas> = {};
  for (const arg of args) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(arg);
    if (!m) {
      throw new UsageError(`--quota ${arg}: expected name=value with a whole number, e.g. maxActiveSourceServers=500`);
    }
    const name = m[1] as string;
    const value = Number(m[2]);
    if (!(name in QUOTAS)) {
      throw new UsageError(`--quota ${arg}: unknown quota '${name}'; known: ${Object.keys(QUOTAS).join(', ')}`);
    }
    const q = QUOTAS[name as QuotaName];
    if (value < 1) throw new UsageError(`--quota ${arg}: must be at least 1`);
    if (value > q.value && !q.adjustable) {
      throw new UsageError(
        `--quota ${arg}: '${q.name}' (${q.code}) is not adjustable on AWS; it can be lowered below ${q.value} but not raised`,
      );
    }
    out[name as QuotaName] = value;
  }
  return out;
}
