import { LineCounter, isNode, parseAllDocuments, visit, type Document } from 'yaml';
import { z } from 'zod';
import type { LaunchTemplateSettings, ServerView } from '../ports.ts';
import { APPROVER_KEYS, type ApproverKey, noApprovers } from './lifecycle.ts';
import { APPROVAL_GATES, type ApprovalGate, EMAIL_PATTERN, GatePolicy, LIMITS, compiles } from './contracts.ts';
import { LocalTimeError, TIME_ZONE_EXAMPLE, formatZoned, isTimeZone, resolveLocalTime } from './zoned-time.ts';
import { ACCOUNT_ID, SERVER_ID } from './ids.ts';

/**
 * The wave file (docs/adr, "Interfaces"): YAML or JSON, read in two passes.
 *
 * 1. `parseWaveFile(text, file)`: syntax, shape (zod) and the local times of the cutover and freeze windows.
 * 2. `validateWave(parsed, ctx)`: against MGN: servers resolved by id or hostname, one application per
 *    server, MGN's quotas, the cutover window against the freezes and the clock.
 *
 * Each pass collects every error it finds; each error reads `file:path: value: what is allowed` and both
 * passes throw them together in one WaveFileError. Nothing may start until both passes succeed.
 * `waveFromMgn` builds the same `Wave` from MGN's own Waves and Applications.
 */

// ---------------------------------------------------------------------------------------------------------
// the resolved wave

export type FailurePolicy = 'continue' | 'hold' | 'stop';

export interface WaveDefaults {
  /** Days of soak after the test launch, unless signed off earlier. */
  soakDays: number;
  /** How many applications the wave migrates at once (MGN's job quotas still apply). */
  concurrency: number;
  /** What the wave does when an application fails: carry on, hold new admissions, or stop. */
  failurePolicy: FailurePolicy;
  /** Archive each server in MGN once its cutover is finalized. */
  archive: boolean;
  /** Keep MGN's Waves and Applications in step with the wave and tag its servers (default true). */
  syncMgnPlan?: boolean;
  /** Archive the wave's MGN applications and MGN wave when the wave ends complete (default true). */
  archiveMgnPlan?: boolean;
}

export const WAVE_DEFAULTS: Readonly<WaveDefaults> = Object.freeze({ soakDays: 14, concurrency: 10, failurePolicy: 'hold', archive: true });

/** What mgn-flow sets with UpdateLaunchConfiguration before the test launch (nothing of the EC2 launch template). */
export interface LaunchSettings {
  targetInstanceTypeRightSizingMethod?: 'NONE' | 'BASIC' | 'IN_AWS';
  licensing?: { osByol: boolean };
  bootMode?: 'LEGACY_BIOS' | 'UEFI' | 'USE_SOURCE';
  copyPrivateIp?: boolean;
  copyTags?: boolean;
  launchDisposition?: 'STOPPED' | 'STARTED';
  /** Which launches run the post-launch actions (MGN's postLaunchActions.deployment): TEST_ONLY limits them to test launches. */
  postLaunchActionsDeployment?: 'TEST_AND_CUTOVER' | 'TEST_ONLY' | 'CUTOVER_ONLY';
}

export interface SsmParameter {
  parameterType: 'STRING' | 'SECURE_STRING';
  parameterName: string;
}

/** A post-launch action, as PutSourceServerAction takes it (actionId derived from the name unless given). */
export interface PostLaunchAction {
  actionId: string;
  actionName: string;
  documentIdentifier: string;
  documentVersion?: string;
  order: number;
  active: boolean;
  mustSucceedForCutover: boolean;
  timeoutSeconds?: number;
  parameters?: Record<string, SsmParameter[]>;
}

/** Per list of approvers (src/core/lifecycle.ts, APPROVER_KEYS): the people on it. */
export type Approvers = Record<ApproverKey, string[]>;

/** A change board's rules for a wave's approval gates (docs/adr/0007, "Change boards"). */
export interface ApprovalRules {
  /** Per gate: how many of its people must approve, how many rejections decide reject (1 unless set). */
  quorum?: Partial<Record<ApprovalGate, { quorum: number; rejects: number }>>;
  /** The gates whose approval needs a change id, and the pattern it must match. */
  changeRef?: { gates: ApprovalGate[]; pattern: string };
}

/** A window of time: UTC instants (ISO), and the zone it was written in (for people). */
export interface TimeWindow {
  start: string;
  end: string;
  timeZone: string;
}

export interface FreezeWindow extends TimeWindow {
  reason?: string;
}

export interface WaveServer {
  id: string;
  hostname?: string;
  /** The application's settings with the server's on top; absent when nothing is to be set. */
  launch?: LaunchSettings;
  postLaunchActions?: PostLaunchAction[];
  /** EC2 launch template settings: the application's with the server's on top (tags merged). */
  launchTemplate?: LaunchTemplateSettings;
}

export interface WaveApplication {
  name: string;
  /** MGN's applicationID, for a wave read from MGN. */
  id?: string;
  canary: boolean;
  /** A standalone server: an application of one, named after the server. */
  standalone: boolean;
  /**
   * The AWS account of its servers in MGN's global view (absent: the account mgn-flow runs in): every MGN call
   * for them carries MGN's accountID, and the job-slot limiter counts its jobs apart.
   */
  account?: string;
  servers: WaveServer[];
}

export interface Wave {
  name: string;
  timeZone: string;
  /** mgn-import: MGN's import file (CSV), `name` the wave's name there (mgn:wave:name). */
  source: { kind: 'file'; file: string } | { kind: 'mgn'; waveId: string; name: string } | { kind: 'mgn-import'; file: string; name: string };
  defaults: WaveDefaults;
  cutoverWindow: TimeWindow | null;
  approvers: Approvers;
  /** Quorums and change ids, when the wave file sets any. */
  rules?: ApprovalRules;
  /** Who gets the ops messages of this wave (holds, failures, escalations); the local cloud subscribes them. */
  ops?: string[];
  freeze: FreezeWindow[];
  applications: WaveApplication[];
}

// ---------------------------------------------------------------------------------------------------------
// errors

export interface WaveFileIssue {
  file: string;
  /** `applications[1].servers[3]`, `(root)` for the whole file. */
  path: string;
  /** The value as written (JSON), `(missing)`, or a short description such as `201 servers`. */
  value: string;
  /** What is wrong and what is allowed. */
  allowed: string;
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
}

/**
 * Hostile or runaway input is refused before it costs much: the file's size, YAML aliases (an alias bomb
 * expands a few lines into millions of nodes), and how many errors are listed (a wrong 7 MB file once printed
 * 300,001 lines). A 1,000-server wave with launch settings on every server is about 200 KB.
 */
export const WAVE_FILE_LIMITS = Object.freeze({
  bytes: 2 * 1024 * 1024,
  /** yaml's `maxAliasCount`: how many nodes aliases may expand to, in all. */
  aliasNodes: 100,
  /** Errors listed; the rest are counted. */
  errorsShown: 50,
  /** Errors collected before the rest are only counted (bounds the memory a broken file costs). */
  errorsCollected: 1000,
});

/** The wave file is invalid: the errors found (the first `WAVE_FILE_LIMITS.errorsShown`), each `file:path: value: what is allowed`. */
export class WaveFileError extends Error {
  readonly errors: string[];
  readonly issues: WaveFileIssue[];
  /** Every error found, the ones not listed included. */
  readonly total: number;

  constructor(issues: WaveFileIssue[], total = issues.length) {
    const shown = issues.slice(0, WAVE_FILE_LIMITS.errorsShown);
    const errors = shown.map((i) => `${i.file}:${i.path}: ${i.value}: ${i.allowed}`);
    const more = total - shown.length;
    super([...errors, ...(more > 0 ? [`... and ${more} more error${more === 1 ? '' : 's'} not listed: fix these first`] : [])].join('\n'));
    this.name = 'WaveFileError';
    this.errors = errors;
    this.issues = shown;
    this.total = total;
  }

  /** The errors as a person reads them: the listed ones, then how many more there are. */
  get lines(): string[] {
    return this.message.split('\n');
  }
}

type Seg = string | number;

/** `applications[1].servers[3]`; keys that are not plain names are quoted: `parameters["a b"]`. */
export function formatPath(path: readonly Seg[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The value as it reads in an error: JSON, shortened; `(missing)` when absent. */
export function showValue(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function at(data: unknown, path: readonly Seg[]): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

class Issues {
  readonly list: (WaveFileIssue & { order: number })[] = [];
  /** Errors found beyond `WAVE_FILE_LIMITS.errorsCollected`: counted, not kept. */
  private uncollected = 0;

  constructor(
    readonly file: string,
    private readonly locate: (path: readonly Seg[]) => { line: number; column: number; offset: number } | undefined = () => undefined,
  ) {}

  add(path: readonly Seg[], value: string, allowed: string): void {
    if (this.list.length >= WAVE_FILE_LIMITS.errorsCollected) {
      this.uncollected++;
      return;
    }
    const pos = this.locate(path);
    this.list.push({
      file: this.file,
      path: formatPath(path),
      value,
      allowed,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      order: pos?.offset ?? Number.MAX_SAFE_INTEGER,
    });
  }

  get empty(): boolean {
    return this.list.length === 0 && this.uncollected === 0;
  }

  /** In the order they appear in the file (those without a position last, in the order found). */
  error(): WaveFileError {
    const sorted = this.list.map((issue, i) => ({ issue, i })).sort((a, b) => a.issue.order - b.issue.order || a.i - b.i);
    return new WaveFileError(
      sorted.map(({ issue: { order: _order, ...rest } }) => rest),
      this.list.length + this.uncollected,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// the shape

const list = (items: readonly string[]): string =>
  items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] as string}`;

/** A strict object: each unknown key is an error of its own saying which keys are allowed. */
function strict<T extends z.ZodRawShape>(shape: T, what: string, opts: { unknownKey?: string; notObject?: string } = {}) {
  const keys = Object.keys(shape);
  const unknown = opts.unknownKey ?? `not a key of ${what}; the keys are ${list(keys)}`;
  const notObject = opts.notObject ?? `an object with ${list(keys)}`;
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? `${UNKNOWN_KEY}${unknown}` : notObject) });
}

/** Marks an unrecognized_keys message (one issue per key is made of it). */
const UNKNOWN_KEY = '\u0000unknown:';

const bool = (what: string) => z.boolean({ error: `true or false${what ? `: ${what}` : ''}` });
const int = (min: number, max: number, what: string) =>
  z
    .number({ error: what })
    .int({ error: what })
    .min(min, { error: what })
    .max(max, { error: what });

const WAVE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
/** MGN's ApplicationName / ActionName: 1..256, no leading/trailing blanks (MGN's own pattern). */
// narrower than MGN's: no control or text-reordering character either (names reach terminals, pages and e-mail)
// eslint-disable-next-line no-control-regex
const MGN_NAME = /^[^\s\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]( *[^\s\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff])*$/;
const ACTION_ID = /^.*[0-9a-zA-Z]$/;
const DOCUMENT_VERSION = /^(\$DEFAULT|\$LATEST|[0-9]+)$/;
const SSM_PARAMETER_NAME = /^[A-Za-z0-9_.-]{1,1011}$/;
const SSM_DOCUMENT_PARAMETER_NAME = /^[A-Za-z0-9]{1,1011}$/;

const MSG = {
  localTime: 'a local date and time such as 2026-12-05T02:00 (in the time zone of the wave), or one with an explicit offset such as 2026-12-05T02:00+01:00',
  timeZone: `an IANA time zone name such as ${TIME_ZONE_EXAMPLE}`,
  email: 'an e-mail address such as alice@example.com',
  applicationName: `a name of 1 to ${LIMITS.nameChars} characters without leading or trailing blanks or control characters`,
  account:
    'the AWS account id of the application\'s servers in MGN\'s global view: 12 digits in quotes, e.g. account: "123456789012" (unquoted, YAML may read it as a number); leave it out for the account mgn-flow runs in',
  soakDays: `a whole number of days from ${LIMITS.soakDays.min} to ${LIMITS.soakDays.max} (MGN's free replication period is 90 days; a sign-off ends the soak earlier)`,
  approvers: `at most ${LIMITS.approversPerGate} e-mail addresses per gate (one link each); ask a distribution list for more`,
  quorum: `how many of the gate's people must approve: a whole number from 1 to the number of people named (at most ${LIMITS.approversPerGate})`,
  rejects: `how many rejections decide reject (1 unless set): a whole number from 1 to the number of people named`,
  changeRefGate: `a list of the gates that need a change id to approve: ${APPROVAL_GATES.join(', ')}`,
  changeRefPattern: `a regular expression of up to ${LIMITS.changeRefPatternChars} characters the change id must match, such as "^CHG[0-9]{7}$"`,
  serverRef: 'an id (s-...) or a hostname of a source server in MGN',
  serverEntry: 'an id (s-...) or a hostname, or {server, launch, launchTemplate, postLaunchActions}',
  launchUnknown:
    'not a launch setting: EC2 launch template fields (instance type, subnet, security groups, private IP, tags) go under launchTemplate; ' +
    'launch takes targetInstanceTypeRightSizingMethod, licensing, bootMode, copyPrivateIp, copyTags, launchDisposition and postLaunchActionsDeployment (MGN UpdateLaunchConfiguration)',
} as const;

const LocalTime = z.string({ error: MSG.localTime });
const TimeZone = z.string({ error: MSG.timeZone }).refine(isTimeZone, { error: MSG.timeZone });

const Launch = strict(
  {
    targetInstanceTypeRightSizingMethod: z.enum(['NONE', 'BASIC', 'IN_AWS'], { error: 'NONE, BASIC or IN_AWS' }).optional(),
    licensing: strict({ osByol: bool('bring your own OS license') }, 'licensing').optional(),
    bootMode: z.enum(['LEGACY_BIOS', 'UEFI', 'USE_SOURCE'], { error: 'LEGACY_BIOS, UEFI or USE_SOURCE' }).optional(),
    copyPrivateIp: bool('give the launched instance the private IP of the source server').optional(),
    copyTags: bool("copy the source server's tags to the launched instance").optional(),
    launchDisposition: z.enum(['STOPPED', 'STARTED'], { error: 'STOPPED or STARTED' }).optional(),
    postLaunchActionsDeployment: z
      .enum(['TEST_AND_CUTOVER', 'TEST_ONLY', 'CUTOVER_ONLY'], { error: 'TEST_AND_CUTOVER, TEST_ONLY or CUTOVER_ONLY: which launches run the post-launch actions' })
      .optional(),
  },
  'launch',
  { unknownKey: MSG.launchUnknown },
);

const LaunchTemplate = strict(
  {
    instanceType: z
      .string({ error: 'an EC2 instance type such as m6i.large' })
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'an EC2 instance type such as m6i.large' })
      .optional(),
    subnetId: z.string({ error: 'a subnet id such as subnet-0abc12345def67890' }).regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'a subnet id such as subnet-0abc12345def67890' }).optional(),
    securityGroupIds: z
      .array(z.string({ error: 'a security group id such as sg-0abc12345def67890' }).regex(/^sg-[0-9a-f]{8,17}$/, { error: 'a security group id such as sg-0abc12345def67890' }), { error: 'a list of security group ids' })
      .min(1, { error: 'at least one security group id (or leave the key out)' })
      .max(5, { error: 'at most 5 security groups per network interface (EC2 default quota)' })
      .optional(),
    privateIpAddress: z
      .string({ error: 'an IPv4 address such as 10.20.30.40, in the subnet' })
      .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, { error: 'an IPv4 address such as 10.20.30.40, in the subnet' })
      .optional(),
    tags: z
      .record(
        z.string().min(1).max(128).refine((k) => !k.toLowerCase().startsWith('aws:'), { error: 'tag keys starting with aws: are reserved' }),
        z.string({ error: 'a tag value: text of up to 256 characters' }).max(256, { error: 'a tag value: text of up to 256 characters' }),
        { error: 'a map of tag keys (1 to 128 characters, not aws:...) to values (up to 256)' },
      )
      .refine((t) => Object.keys(t).length <= 50, { error: 'at most 50 tags' })
      .optional(),
  },
  'launchTemplate',
);

const Parameter = strict(
  {
    parameterType: z.enum(['STRING', 'SECURE_STRING'], { error: 'STRING or SECURE_STRING' }),
    parameterName: z.string({ error: 'an SSM Parameter Store name: 1 to 1011 letters, digits, _ . or -' }).regex(SSM_PARAMETER_NAME, {
      error: 'an SSM Parameter Store name: 1 to 1011 letters, digits, _ . or -',
    }),
  },
  'a parameter',
);

const Action = strict(
  {
    actionId: z
      .string({ error: "1 to 64 characters ending in a letter or digit (MGN's ActionID; derived from actionName when left out)" })
      .max(64, { error: "1 to 64 characters ending in a letter or digit (MGN's ActionID; derived from actionName when left out)" })
      .regex(ACTION_ID, { error: "1 to 64 characters ending in a letter or digit (MGN's ActionID; derived from actionName when left out)" })
      .optional(),
    actionName: z
      .string({ error: 'a name of 1 to 256 characters without leading or trailing blanks' })
      .max(256, { error: 'a name of 1 to 256 characters without leading or trailing blanks' })
      .regex(MGN_NAME, { error: 'a name of 1 to 256 characters without leading or trailing blanks' }),
    documentIdentifier: z
      .string({ error: 'the name or ARN of an SSM document (1 to 256 characters), e.g. AWS-RunShellScript' })
      .min(1, { error: 'the name or ARN of an SSM document (1 to 256 characters), e.g. AWS-RunShellScript' })
      .max(256, { error: 'the name or ARN of an SSM document (1 to 256 characters), e.g. AWS-RunShellScript' }),
    documentVersion: z
      .union([z.string(), z.number()], { error: '$DEFAULT, $LATEST or a version number' })
      .transform(String)
      .refine((v) => DOCUMENT_VERSION.test(v), { error: '$DEFAULT, $LATEST or a version number' })
      .optional(),
    order: int(1001, 10000, 'a whole number from 1001 to 10000 (actions run in this order)'),
    active: bool('whether the action runs').optional(),
    mustSucceedForCutover: bool('whether a failure of the action blocks the cutover').optional(),
    timeoutSeconds: int(1, Number.MAX_SAFE_INTEGER, 'a whole number of seconds, 1 or more').optional(),
    parameters: z
      .record(z.string(), z.array(Parameter, { error: 'a list of up to 10 {parameterType, parameterName}' }), {
        error: 'a map of SSM document parameter names to lists of {parameterType, parameterName}',
      })
      .optional(),
  },
  'a post-launch action',
);

const Actions = z.array(Action, { error: 'a list of post-launch actions {actionName, documentIdentifier, order, ...}' });

const ServerObject = strict(
  {
    server: z.string({ error: MSG.serverRef }).min(1, { error: MSG.serverRef }),
    launch: Launch.optional(),
    launchTemplate: LaunchTemplate.optional(),
    postLaunchActions: Actions.optional(),
  },
  'a server',
  { notObject: MSG.serverEntry },
);
/** `web-01` is short for `{server: web-01}`. */
const ServerEntry = z.preprocess((v) => (typeof v === 'string' ? { server: v } : v), ServerObject);

const Window = (what: string) => strict({ start: LocalTime, end: LocalTime, timeZone: TimeZone.optional() }, what);
const Emails = z
  .array(z.string({ error: MSG.email }).max(LIMITS.emailChars, { error: MSG.email }).regex(EMAIL_PATTERN, { error: MSG.email }), { error: 'a list of e-mail addresses' })
  .max(LIMITS.approversPerGate, { error: MSG.approvers });
const PolicyEntry = strict(
  {
    people: Emails,
    quorum: int(1, LIMITS.approversPerGate, MSG.quorum).optional(),
    rejects: int(1, LIMITS.approversPerGate, MSG.rejects).optional(),
  },
  'approvers of a gate',
  { notObject: 'a list of e-mail addresses, or {people: [e-mail addresses], quorum: N, rejects: N}' },
);
/**
 * A gate's approvers: a list, or {people, quorum, rejects} (the bounds are the execution contract's, LIMITS).
 * Chosen by shape, so an error is the one of the form written (a union would only say "invalid input").
 */
const GateApproversEntry = z.unknown().transform((v, ctx): string[] | z.infer<typeof PolicyEntry> => {
  const r = Array.isArray(v) ? Emails.safeParse(v) : PolicyEntry.safeParse(v);
  if (r.success) return r.data;
  // each issue as the chosen form raised it (an unknown key keeps its keys: one error per key)
  for (const i of r.error.issues) ctx.addIssue({ ...i, input: v } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

const WaveFileSchema = strict(
  {
    version: z.literal(1, { error: '1 (the only wave file version)' }),
    wave: strict(
      {
        name: z
          .string({ error: 'a name of 1 to 48 letters, digits, - or _ (it starts the execution names <wave>-<server>-<attempt>)' })
          .regex(WAVE_NAME, { error: 'a name of 1 to 48 letters, digits, - or _ (it starts the execution names <wave>-<server>-<attempt>)' }),
        timeZone: TimeZone,
      },
      'wave',
    ),
    defaults: strict(
      {
        soakDays: int(LIMITS.soakDays.min, LIMITS.soakDays.max, MSG.soakDays).optional(),
        concurrency: int(1, 200, 'a whole number from 1 to 200: how many applications the wave migrates at once').optional(),
        failurePolicy: z.enum(['continue', 'hold', 'stop'], { error: 'continue, hold or stop' }).optional(),
        archive: bool('archive each server in MGN after its cutover is finalized').optional(),
        syncMgnPlan: bool("create and update MGN's wave and applications for this wave, and tag its servers").optional(),
        archiveMgnPlan: bool("archive MGN's wave and applications when the wave ends complete").optional(),
      },
      'defaults',
    ).optional(),
    cutoverWindow: Window('cutoverWindow').optional(),
    approvers: strict(Object.fromEntries(APPROVER_KEYS.map((k) => [k, GateApproversEntry.optional()])) as Record<ApproverKey, ReturnType<typeof GateApproversEntry.optional>>, 'approvers').optional(),
    changeRef: strict(
      {
        gates: z.array(z.enum(APPROVAL_GATES, { error: MSG.changeRefGate }), { error: MSG.changeRefGate }).min(1, { error: MSG.changeRefGate }),
        pattern: z
          .string({ error: MSG.changeRefPattern })
          .min(1, { error: MSG.changeRefPattern })
          .max(LIMITS.changeRefPatternChars, { error: MSG.changeRefPattern })
          .refine(compiles, { error: MSG.changeRefPattern }),
      },
      'changeRef',
    ).optional(),
    ops: Emails.optional(),
    freeze: z
      .array(
        strict(
          {
            start: LocalTime,
            end: LocalTime,
            timeZone: TimeZone.optional(),
            reason: z.string({ error: `a text of up to ${LIMITS.freezeReasonChars} characters` }).max(LIMITS.freezeReasonChars, { error: `a text of up to ${LIMITS.freezeReasonChars} characters` }).optional(),
          },
          'a freeze window',
        ),
        { error: 'a list of freeze windows {start, end, timeZone, reason}' },
      )
      .max(LIMITS.freezeWindows, { error: `at most ${LIMITS.freezeWindows} freeze windows; merge the ones that touch` })
      .optional(),
    applications: z
      .array(
        strict(
          {
            name: z.string({ error: MSG.applicationName }).max(LIMITS.nameChars, { error: MSG.applicationName }).regex(MGN_NAME, { error: MSG.applicationName }),
            canary: bool('migrate this application before the others').optional(),
            account: z.string({ error: MSG.account }).regex(ACCOUNT_ID, { error: MSG.account }).optional(),
            servers: z.array(ServerEntry, { error: `a list of source servers, each ${MSG.serverEntry}` }),
            launch: Launch.optional(),
            launchTemplate: LaunchTemplate.optional(),
            postLaunchActions: Actions.optional(),
          },
          'an application',
        ),
        { error: 'a list of applications {name, account, canary, servers, launch, launchTemplate, postLaunchActions}' },
      )
      .optional(),
    servers: z.array(ServerEntry, { error: `a list of standalone source servers, each ${MSG.serverEntry}` }).optional(),
  },
  'the wave file',
  {
    unknownKey: 'not a wave file key; the keys are version, wave, defaults, cutoverWindow, approvers, ops, changeRef, freeze, applications and servers',
    notObject: 'a wave file: a mapping with version, wave, applications and/or servers (see examples/wave.yaml)',
  },
);

type RawFile = z.infer<typeof WaveFileSchema>;
type RawServer = z.infer<typeof ServerObject>;
type RawAction = z.infer<typeof Action>;

// ---------------------------------------------------------------------------------------------------------
// pass 1: parse

export interface ServerRef {
  /** An id or a hostname, as written. */
  ref: string;
  /** Where it is in the file (for errors). */
  path: readonly Seg[];
  launch?: LaunchSettings;
  postLaunchActions?: PostLaunchAction[];
  launchTemplate?: LaunchTemplateSettings;
}

/** A wave file that is well formed: the input of validateWave. */
export interface ParsedWaveFile {
  file: string;
  version: 1;
  wave: { name: string; timeZone: string };
  defaults: WaveDefaults;
  cutoverWindow: TimeWindow | null;
  approvers: Approvers;
  rules?: ApprovalRules;
  ops: string[];
  freeze: FreezeWindow[];
  applications: { name: string; canary: boolean; account?: string; launch?: LaunchSettings; launchTemplate?: LaunchTemplateSettings; postLaunchActions?: PostLaunchAction[]; servers: ServerRef[] }[];
  servers: ServerRef[];
  /** Line and column of a path in the file, for tools that point at it. */
  locate(path: readonly Seg[]): { line: number; column: number } | undefined;
}

const MAX_ACTIONS = 100;

function tooLarge(file: string, bytes: number): WaveFileError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new WaveFileError([
    { file, path: '(root)', value: mb(bytes), allowed: `a wave file is at most ${mb(WAVE_FILE_LIMITS.bytes)}; split the servers into several waves (a wave of 1,000 servers is about 0.2 MB)` },
  ]);
}

/** Before reading a file from disk: refuse one larger than a wave file can be, without reading it. */
export function checkWaveFileSize(file: string, bytes: number): void {
  if (bytes > WAVE_FILE_LIMITS.bytes) throw tooLarge(file, bytes);
}

/**
 * Pass 1: YAML or JSON (JSON is YAML), the shape, and the local times of the windows. Throws a WaveFileError
 * with every error found.
 */
export function parseWaveFile(text: string, file: string): ParsedWaveFile {
  if (text.length > WAVE_FILE_LIMITS.bytes) throw tooLarge(file, text.length);
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const docList: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const doc = docList[0];
  const locate = (path: readonly Seg[]) => {
    if (!doc) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = lines.linePos(node.range[0]);
        return { line: pos.line, column: pos.col, offset: node.range[0] };
      }
    }
    return undefined;
  };
  const issues = new Issues(file, locate);

  const syntax = docList.flatMap((d) => d.errors);
  if (syntax.length > 0) {
    for (const e of syntax) {
      const { line, col } = lines.linePos(e.pos[0]);
      const source = (text.split(/\r?\n/)[line - 1] ?? '').trim();
      issues.list.push({
        file,
        path: `line ${line}, column ${col}`,
        value: JSON.stringify(source.length > 60 ? `${source.slice(0, 57)}...` : source),
        allowed: `not valid YAML or JSON (${e.message.split(' at line ')[0]})`,
        line,
        column: col,
        order: e.pos[0],
      });
    }
    throw issues.error();
  }
  if (docList.length > 1) {
    issues.add([], `${docList.length} documents`, 'one YAML document per wave file (remove the --- separators)');
    throw issues.error();
  }
  let data: unknown;
  try {
    data = doc?.toJS({ maxAliasCount: WAVE_FILE_LIMITS.aliasNodes }) ?? undefined;
  } catch (err) {
    if (!(err instanceof ReferenceError) || !doc) throw err;
    // yaml names no place: point at the first alias, which is where the expansion starts
    let first: { source: string; offset: number } | undefined;
    visit(doc, {
      Alias(_key, node) {
        if (node.range) first = { source: node.source, offset: node.range[0] };
        return visit.BREAK;
      },
    });
    const { line, col } = lines.linePos(first?.offset ?? 0);
    issues.list.push({
      file,
      path: `line ${line}, column ${col}`,
      value: first ? `*${first.source}` : '(aliases)',
      allowed: `YAML aliases expand beyond ${WAVE_FILE_LIMITS.aliasNodes} nodes (${err.message.toLowerCase()}); write the values out instead of aliasing them`,
      line,
      column: col,
      order: first?.offset ?? 0,
    });
    throw issues.error();
  }
  if (data === undefined || data === null) {
    issues.add([], '(empty)', 'a wave file: version, wave, applications and/or servers (see examples/wave.yaml)');
    throw issues.error();
  }

  const parsed = WaveFileSchema.safeParse(data);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      const path = iss.path.filter((s): s is Seg => typeof s !== 'symbol');
      if (iss.code === 'unrecognized_keys' || iss.message.startsWith(UNKNOWN_KEY)) {
        const message = iss.message.slice(UNKNOWN_KEY.length);
        for (const key of (iss as { keys?: string[] }).keys ?? []) issues.add([...path, key], showValue(at(data, [...path, key])), message);
        continue;
      }
      // a server written as a string: its errors belong to the entry, not to `.server`
      const shown = path[path.length - 1] === 'server' && typeof at(data, path.slice(0, -1)) === 'string' ? path.slice(0, -1) : path;
      const value = at(data, shown);
      issues.add(shown, showValue(value), value === undefined ? `required, ${iss.message}` : iss.message);
    }
  }
  checkBeyondShape(data, issues);
  const times = resolveTimes(data, issues);
  if (!parsed.success || !issues.empty) throw issues.error();

  const raw: RawFile = parsed.data;
  const refs = (entries: RawServer[], base: readonly Seg[]): ServerRef[] =>
    entries.map((s, j) => ({
      ref: s.server,
      path: [...base, j],
      ...(s.launch ? { launch: s.launch } : {}),
      ...(s.launchTemplate ? { launchTemplate: s.launchTemplate } : {}),
      ...(s.postLaunchActions ? { postLaunchActions: s.postLaunchActions.map(toAction) } : {}),
    }));
  return {
    file,
    version: 1,
    wave: raw.wave,
    defaults: { ...WAVE_DEFAULTS, ...raw.defaults },
    cutoverWindow: times.cutoverWindow,
    approvers: Object.fromEntries(APPROVER_KEYS.map((k) => [k, unique(peopleOf(raw.approvers?.[k]))])) as Approvers,
    ...rulesOf(raw),
    ops: unique(raw.ops ?? []),
    freeze: times.freeze,
    applications: (raw.applications ?? []).map((a, i) => ({
      name: a.name,
      canary: a.canary ?? false,
      ...(a.account ? { account: a.account } : {}),
      ...(a.launch ? { launch: a.launch } : {}),
      ...(a.launchTemplate ? { launchTemplate: a.launchTemplate } : {}),
      ...(a.postLaunchActions ? { postLaunchActions: a.postLaunchActions.map(toAction) } : {}),
      servers: refs(a.servers, ['applications', i, 'servers']),
    })),
    servers: refs(raw.servers ?? [], ['servers']),
    locate: (path) => {
      const pos = locate(path);
      return pos && { line: pos.line, column: pos.column };
    },
  };
}

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

type RawGateApprovers = z.infer<typeof GateApproversEntry> | undefined;
const peopleOf = (a: RawGateApprovers): string[] => (a === undefined ? [] : Array.isArray(a) ? a : a.people);

function rulesOf(raw: RawFile): { rules?: ApprovalRules } {
  const quorum: NonNullable<ApprovalRules['quorum']> = {};
  for (const g of APPROVAL_GATES) {
    const a = raw.approvers?.[g];
    if (a && !Array.isArray(a) && ((a.quorum ?? 1) > 1 || (a.rejects ?? 1) > 1)) quorum[g] = { quorum: a.quorum ?? 1, rejects: a.rejects ?? 1 };
  }
  const rules: ApprovalRules = {
    ...(Object.keys(quorum).length ? { quorum } : {}),
    ...(raw.changeRef ? { changeRef: { gates: unique(raw.changeRef.gates), pattern: raw.changeRef.pattern } } : {}),
  };
  return Object.keys(rules).length ? { rules } : {};
}

/** A stable ActionID from the action's name: `Install CloudWatch agent` -> `install-cloudwatch-agent`. */
export function actionIdFor(actionName: string): string {
  const slug = actionName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug || 'action';
}

function toAction(a: RawAction): PostLaunchAction {
  return {
    actionId: a.actionId ?? actionIdFor(a.actionName),
    actionName: a.actionName,
    documentIdentifier: a.documentIdentifier,
    ...(a.documentVersion !== undefined ? { documentVersion: a.documentVersion } : {}),
    order: a.order,
    active: a.active ?? true,
    mustSucceedForCutover: a.mustSucceedForCutover ?? false,
    ...(a.timeoutSeconds !== undefined ? { timeoutSeconds: a.timeoutSeconds } : {}),
    ...(a.parameters !== undefined ? { parameters: a.parameters } : {}),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What zod's shape does not say: counts, uniqueness, map keys. Reads the raw data defensively. */
function checkBeyondShape(data: unknown, issues: Issues): void {
  if (!isRecord(data)) return;
  const apps = Array.isArray(data.applications) ? data.applications : [];
  const standalone = Array.isArray(data.servers) ? data.servers : [];
  if (apps.length === 0 && standalone.length === 0 && data.applications === undefined && data.servers === undefined) {
    issues.add(['applications'], '(missing)', 'a wave needs at least one application or standalone server (applications or servers)');
  } else if (apps.length === 0 && standalone.length === 0 && (Array.isArray(data.applications) || Array.isArray(data.servers))) {
    issues.add(['applications'], showValue(data.applications ?? []), 'a wave needs at least one application or standalone server (applications or servers)');
  }

  const names = new Map<string, number>();
  apps.forEach((app, i) => {
    if (!isRecord(app)) return;
    if (typeof app.name === 'string') {
      const first = names.get(app.name);
      if (first !== undefined) {
        issues.add(['applications', i, 'name'], showValue(app.name), `another application is named so (applications[${first}]); application names are unique in a wave`);
      } else names.set(app.name, i);
    }
    if (Array.isArray(app.servers) && app.servers.length === 0) {
      issues.add(['applications', i, 'servers'], '[]', `an application has at least one server: ${MSG.serverEntry}`);
    }
    checkActions(app.postLaunchActions, ['applications', i, 'postLaunchActions'], issues);
    if (Array.isArray(app.servers)) app.servers.forEach((s, j) => isRecord(s) && checkActions(s.postLaunchActions, ['applications', i, 'servers', j, 'postLaunchActions'], issues));
  });
  standalone.forEach((s, k) => isRecord(s) && checkActions(s.postLaunchActions, ['servers', k, 'postLaunchActions'], issues));

  for (const gate of APPROVAL_GATES) {
    const entry = isRecord(data.approvers) ? data.approvers[gate] : undefined;
    const emails = isRecord(entry) ? entry.people : entry;
    const path = isRecord(entry) ? ['approvers', gate, 'people'] : ['approvers', gate];
    if (Array.isArray(emails) && emails.length === 0) {
      issues.add(path, '[]', 'at least one e-mail address, or leave the gate out: its request then goes to the approvals topic with one link for the gate');
    }
    // a quorum the people named cannot reach would leave the gate to expire
    if (isRecord(entry) && Array.isArray(emails)) {
      const people = new Set(emails).size;
      for (const k of ['quorum', 'rejects'] as const) {
        const n = entry[k];
        if (typeof n === 'number' && Number.isInteger(n) && n > people && people > 0) issues.add(['approvers', gate, k], String(n), `${people} ${people === 1 ? 'person is' : 'people are'} named: ${k === 'quorum' ? MSG.quorum : MSG.rejects}`);
      }
    }
  }
}

function checkActions(actions: unknown, path: readonly Seg[], issues: Issues): void {
  if (!Array.isArray(actions)) return;
  if (actions.length > MAX_ACTIONS) {
    issues.add(path, `${actions.length} actions`, `at most ${MAX_ACTIONS} post-launch actions per source server (MGN quota L-0E532B45)`);
  }
  const ids = new Map<string, number>();
  actions.forEach((a, i) => {
    if (!isRecord(a)) return;
    const id = typeof a.actionId === 'string' ? a.actionId : typeof a.actionName === 'string' ? actionIdFor(a.actionName) : undefined;
    if (id !== undefined) {
      const first = ids.get(id);
      if (first !== undefined) {
        const field = typeof a.actionId === 'string' ? 'actionId' : 'actionName';
        issues.add([...path, i, field], showValue(a[field]), `the action id ${JSON.stringify(id)} is already used by ${formatPath([...path, first])}; give each action its own actionName or actionId`);
      } else ids.set(id, i);
    }
    if (!isRecord(a.parameters)) return;
    const params = Object.entries(a.parameters);
    if (params.length > 20) issues.add([...path, i, 'parameters'], `${params.length} parameters`, 'at most 20 parameters per action');
    for (const [name, values] of params) {
      if (!SSM_DOCUMENT_PARAMETER_NAME.test(name)) {
        issues.add([...path, i, 'parameters', name], showValue(name), 'a parameter name of the SSM document: 1 to 1011 letters and digits');
      }
      if (Array.isArray(values) && values.length > 10) {
        issues.add([...path, i, 'parameters', name], `${values.length} values`, 'at most 10 {parameterType, parameterName} per parameter');
      }
    }
  });
}

/** The windows' local times, resolved in their zones; errors for those that do not resolve, or end first. */
function resolveTimes(data: unknown, issues: Issues): { cutoverWindow: TimeWindow | null; freeze: FreezeWindow[] } {
  const out: { cutoverWindow: TimeWindow | null; freeze: FreezeWindow[] } = { cutoverWindow: null, freeze: [] };
  if (!isRecord(data)) return out;
  const waveZone = isRecord(data.wave) && typeof data.wave.timeZone === 'string' && isTimeZone(data.wave.timeZone) ? data.wave.timeZone : undefined;
  const window = (w: unknown, base: readonly Seg[]): TimeWindow | undefined => {
    if (!isRecord(w)) return undefined;
    // an invalid zone is reported by the shape; without one the times cannot be read
    const zone = w.timeZone === undefined ? waveZone : typeof w.timeZone === 'string' && isTimeZone(w.timeZone) ? w.timeZone : undefined;
    if (!zone) {
      // the zone's error is reported by the shape; malformed times can still be told apart
      for (const key of ['start', 'end'] as const) instant(w[key], 'UTC', [...base, key], issues, 'format');
      return undefined;
    }
    const start = instant(w.start, zone, [...base, 'start'], issues);
    const end = instant(w.end, zone, [...base, 'end'], issues);
    if (start === undefined || end === undefined) return undefined;
    if (end.getTime() <= start.getTime()) {
      issues.add([...base, 'end'], showValue(w.end), `a time after the start (${String(w.start)}); the window must not be empty`);
      return undefined;
    }
    return { start: start.toISOString(), end: end.toISOString(), timeZone: zone };
  };
  out.cutoverWindow = window(data.cutoverWindow, ['cutoverWindow']) ?? null;
  if (Array.isArray(data.freeze)) {
    data.freeze.forEach((f, i) => {
      const w = window(f, ['freeze', i]);
      if (w && isRecord(f)) out.freeze.push({ ...w, ...(typeof f.reason === 'string' ? { reason: f.reason } : {}) });
    });
  }
  return out;
}

function instant(value: unknown, zone: string, path: readonly Seg[], issues: Issues, only?: 'format'): Date | undefined {
  if (typeof value !== 'string') return undefined; // the shape reports it
  try {
    return resolveLocalTime(value, zone);
  } catch (e) {
    if (!(e instanceof LocalTimeError)) throw e;
    if (only && e.reason !== only) return undefined;
    if (e.reason === 'ambiguous') {
      const seconds = value.length > 16;
      const [earlier, later] = e.instants.map((d) => formatZoned(d.getTime(), zone, { seconds })) as [string, string];
      issues.add(path, showValue(value), `${e.situation}; write the one you mean with its offset: ${earlier} or ${later}`);
    } else {
      issues.add(path, showValue(value), e.detail);
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// pass 2: against MGN

export interface WaveContext {
  /** The file name errors start with. */
  file: string;
  /** What DescribeSourceServers lists (all of them, archived included). */
  servers: readonly ServerView[];
  quotas: {
    /** Max Active Source Servers (L-9A599620), read through the Service Quotas port. */
    replicatingServers: number;
    /** Max source servers per application (L-90A3F9F5); 200. */
    serversPerApplication?: number;
  };
  /** Refuse a cutover window that has ended by then. */
  now?: Date;
  /**
   * MGN's global view, when the wave names accounts: the accounts ListManagedAccounts lists, and the servers of
   * each (DescribeSourceServers with its accountID). An application naming an account resolves its servers there.
   */
  accounts?: { managed: readonly string[]; servers: ReadonlyMap<string, readonly ServerView[]> };
  /**
   * Archived servers: refused (default: they cannot migrate), or kept so that a wave run again after some of
   * its servers finished reports them done.
   */
  archived?: 'refuse' | 'keep';
}

export const SERVERS_PER_APPLICATION = 200;

/**
 * Pass 2: resolves every server against MGN and checks the wave as a whole. Returns the resolved Wave, or
 * throws a WaveFileError with every error found.
 */
export function validateWave(parsed: ParsedWaveFile, ctx: WaveContext): Wave {
  const issues = new Issues(ctx.file, (path) => {
    const pos = parsed.locate(path);
    return pos && { ...pos, offset: pos.line * 100_000 + pos.column };
  });
  const index = (list: readonly ServerView[]) => {
    const byId = new Map(list.map((s) => [s.id, s]));
    const byHost = new Map<string, ServerView[]>();
    for (const s of list) {
      if (!s.hostname) continue;
      const key = s.hostname.toLowerCase();
      const same = byHost.get(key);
      if (same) same.push(s);
      else byHost.set(key, [s]);
    }
    return { byId, byHost };
  };
  const home = index(ctx.servers);
  const inAccount = new Map<string, ReturnType<typeof index>>();
  const lookup = (account: string | undefined) => {
    if (!account) return home;
    let found = inAccount.get(account);
    if (!found) inAccount.set(account, (found = index(ctx.accounts?.servers.get(account) ?? [])));
    return found;
  };

  const placed = new Map<string, { path: readonly Seg[]; where: string }>();
  const resolve = (ref: ServerRef, where: string, account?: string): ServerView | undefined => {
    const value = showValue(ref.ref);
    const { byId, byHost } = lookup(account);
    let server = byId.get(ref.ref);
    if (!server && !SERVER_ID.test(ref.ref)) {
      const all = byHost.get(ref.ref.toLowerCase()) ?? [];
      const live = all.filter((s) => !s.isArchived);
      const candidates = live.length > 0 ? live : all;
      if (candidates.length > 1) {
        issues.add(
          ref.path,
          value,
          `${candidates.length} source servers in MGN have this hostname (${candidates.map((s) => s.id).join(', ')}); use the id of the one you mean`,
        );
        return undefined;
      }
      server = candidates[0];
    }
    if (!server) {
      issues.add(
        ref.path,
        value,
        account
          ? `no source server of account ${account} in MGN has this hostname or id; use an id (s-...) or a hostname that DescribeSourceServers lists for that account (or correct the application's account)`
          : 'no source server in MGN has this hostname or id; use an id (s-...) or a hostname that DescribeSourceServers lists',
      );
      return undefined;
    }
    if (server.isArchived && ctx.archived !== 'keep') {
      issues.add(ref.path, value, `this source server (${server.id}) is archived in MGN and cannot migrate; remove it from the wave`);
      return undefined;
    }
    const first = placed.get(server.id);
    if (first) {
      issues.add(
        ref.path,
        value,
        `this source server (${server.id}) is already in ${formatPath(first.path)} (${first.where}); a server belongs to one application: keep one of the two`,
      );
      return undefined;
    }
    placed.set(server.id, { path: ref.path, where });
    return server;
  };

  const applications: WaveApplication[] = [];
  const managed = new Set(ctx.accounts?.managed ?? []);
  parsed.applications.forEach((app, i) => {
    if (app.account && !managed.has(app.account)) {
      issues.add(
        ['applications', i, 'account'],
        showValue(app.account),
        `application ${JSON.stringify(app.name)} names account ${app.account}, which MGN does not manage here (ListManagedAccounts: ${[...managed].join(', ') || 'none'}); add the account to MGN's global view (AWS Organizations, MGN console "Global view"), or correct the account id`,
      );
      return;
    }
    if (app.account && (app.launchTemplate || app.servers.some((r) => r.launchTemplate))) {
      issues.add(
        ['applications', i, 'launchTemplate'],
        'launchTemplate',
        `application ${JSON.stringify(app.name)} is in account ${app.account}: its EC2 launch templates live in that account, which mgn-flow does not change; set them there, or use launch (MGN's launch configuration) instead`,
      );
    }
    const servers: WaveServer[] = [];
    for (const ref of app.servers) {
      const s = resolve(ref, `application ${JSON.stringify(app.name)}`, app.account);
      if (s) servers.push(waveServer(s, app, ref, issues));
    }
    applications.push({ name: app.name, canary: app.canary, standalone: false, ...(app.account ? { account: app.account } : {}), servers });
  });
  const appNames = new Map(parsed.applications.map((a, i) => [a.name, i]));
  for (const ref of parsed.servers) {
    const s = resolve(ref, 'a standalone server');
    if (!s) continue;
    const name = s.hostname ?? s.id;
    const clash = appNames.get(name);
    if (clash !== undefined) {
      issues.add(
        ref.path,
        showValue(ref.ref),
        `a standalone server is an application of one named after it (${JSON.stringify(name)}), and applications[${clash}] has that name; rename that application`,
      );
      continue;
    }
    if (name.length > LIMITS.nameChars) {
      issues.add(
        ref.path,
        showValue(ref.ref),
        `a standalone server is an application of one named after its hostname, and this one has ${name.length} characters (at most ${LIMITS.nameChars}); put the server in an application with a shorter name`,
      );
      continue;
    }
    appNames.set(name, -1);
    applications.push({ name, canary: false, standalone: true, servers: [waveServer(s, {}, ref, issues)] });
  }

  const wave: Wave = {
    name: parsed.wave.name,
    timeZone: parsed.wave.timeZone,
    source: { kind: 'file', file: parsed.file },
    defaults: parsed.defaults,
    cutoverWindow: parsed.cutoverWindow,
    approvers: parsed.approvers,
    ...(parsed.rules ? { rules: parsed.rules } : {}),
    ...(parsed.ops.length ? { ops: parsed.ops } : {}),
    freeze: parsed.freeze,
    applications,
  };

  // sizes as the file lists them: entries that did not resolve count too
  const sizes = { applications: parsed.applications.map((a) => a.servers.length), total: countRefs(parsed) };
  for (const e of checkWave(wave, ctx, sizes)) {
    const path =
      e.path === 'application'
        ? ['applications', e.index as number, 'servers']
        : e.path === 'application.name'
          ? ['applications', e.index as number, 'name']
          : e.path === 'wave'
            ? ['wave']
            : ['cutoverWindow', ...(e.path === 'cutoverWindow.end' ? ['end'] : [])];
    issues.add(path, e.value, e.allowed);
  }
  if (!issues.empty) throw issues.error();
  return wave;
}

const countRefs = (p: ParsedWaveFile): number => p.applications.reduce((n, a) => n + a.servers.length, p.servers.length);

function waveServer(s: ServerView, app: { launch?: LaunchSettings; launchTemplate?: LaunchTemplateSettings; postLaunchActions?: PostLaunchAction[] }, ref: ServerRef, issues: Issues): WaveServer {
  const launch = mergeLaunch(app.launch, ref.launch);
  const template = app.launchTemplate || ref.launchTemplate ? { ...app.launchTemplate, ...ref.launchTemplate, ...(app.launchTemplate?.tags || ref.launchTemplate?.tags ? { tags: { ...app.launchTemplate?.tags, ...ref.launchTemplate?.tags } } : {}) } : undefined;
  const actions = mergeActions(app.postLaunchActions, ref.postLaunchActions);
  if (actions && actions.length > MAX_ACTIONS) {
    issues.add(ref.path, showValue(ref.ref), `${actions.length} post-launch actions with its application's: at most ${MAX_ACTIONS} per source server (MGN quota L-0E532B45)`);
  }
  return {
    id: s.id,
    ...(s.hostname ? { hostname: s.hostname } : {}),
    ...(launch ? { launch } : {}),
    ...(template ? { launchTemplate: template } : {}),
    ...(actions ? { postLaunchActions: actions } : {}),
  };
}

/** The server's launch settings on top of its application's (licensing merged field by field). */
export function mergeLaunch(app?: LaunchSettings, server?: LaunchSettings): LaunchSettings | undefined {
  if (!app && !server) return undefined;
  const merged: LaunchSettings = { ...app, ...server };
  if (app?.licensing || server?.licensing) merged.licensing = { ...app?.licensing, ...server?.licensing } as { osByol: boolean };
  return merged;
}

/** The application's actions with the server's: a server action with the same actionId replaces it. */
export function mergeActions(app?: PostLaunchAction[], server?: PostLaunchAction[]): PostLaunchAction[] | undefined {
  if (!app && !server) return undefined;
  const byId = new Map<string, PostLaunchAction>();
  for (const a of app ?? []) byId.set(a.actionId, a);
  for (const a of server ?? []) byId.set(a.actionId, a);
  return [...byId.values()].sort((a, b) => a.order - b.order);
}

export interface WaveCheckError {
  /** `wave` (the whole wave), `application` or `application.name` (with index), `cutoverWindow` or `cutoverWindow.end`. */
  path: 'wave' | 'application' | 'application.name' | 'cutoverWindow' | 'cutoverWindow.end';
  index?: number;
  value: string;
  allowed: string;
}

/**
 * The checks on a resolved wave, whatever its source: the replicating quota, the servers per application,
 * the cutover window against the freezes and the clock.
 */
export function checkWave(
  wave: Wave,
  ctx: Pick<WaveContext, 'quotas' | 'now'>,
  /** Sizes to check instead of the wave's (a file's, before its servers resolve). */
  sizes?: { applications: number[]; total: number },
): WaveCheckError[] {
  const errors: WaveCheckError[] = [];
  const perApp = ctx.quotas.serversPerApplication ?? SERVERS_PER_APPLICATION;
  const total = sizes?.total ?? wave.applications.reduce((n, a) => n + a.servers.length, 0);
  (sizes?.applications ?? wave.applications.map((a) => a.servers.length)).forEach((size, index) => {
    if (size > perApp) {
      errors.push({
        path: 'application',
        index,
        value: `${size} servers`,
        allowed: `at most ${perApp} servers per application (MGN quota L-90A3F9F5, not adjustable: an application launches as one job); split it into applications of ${perApp} or fewer`,
      });
    }
  });
  if (total > ctx.quotas.replicatingServers) {
    errors.push({
      path: 'wave',
      value: `${total} servers`,
      allowed:
        `at most ${ctx.quotas.replicatingServers}, the source servers this account may replicate at once (MGN quota Max Active Source Servers, L-9A599620); ` +
        'request an increase in Service Quotas or split the wave',
    });
  }
  // the plan's bounds (contracts.ts), whatever the source: an MGN application may have a longer name
  wave.applications.forEach((a, index) => {
    if (a.name.length > LIMITS.nameChars) {
      errors.push({ path: 'application.name', index, value: showValue(a.name), allowed: `${a.name.length} characters; an application name has at most ${LIMITS.nameChars}: rename the application` });
    }
  });
  for (const [gate, emails] of Object.entries(wave.approvers)) {
    if (emails.length > LIMITS.approversPerGate) errors.push({ path: 'wave', value: `${emails.length} ${gate} approvers`, allowed: MSG.approvers });
  }
  // quorums and change ids through the execution's own schema (one schema for every bound)
  for (const g of APPROVAL_GATES) {
    const q = wave.rules?.quorum?.[g];
    const ref = wave.rules?.changeRef?.gates.includes(g) ? wave.rules.changeRef.pattern : undefined;
    if (!q && !ref) continue;
    const r = GatePolicy.safeParse({ people: wave.approvers[g], quorum: q?.quorum ?? 1, rejects: q?.rejects ?? 1, ...(ref ? { changeRef: ref } : {}) });
    if (!r.success) errors.push({ path: 'wave', value: `approvers.${g}`, allowed: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  }
  const w = wave.cutoverWindow;
  if (w) {
    const written = `${formatZoned(Date.parse(w.start), w.timeZone)} to ${formatZoned(Date.parse(w.end), w.timeZone)}`;
    wave.freeze.forEach((f, i) => {
      if (Date.parse(w.start) < Date.parse(f.end) && Date.parse(f.start) < Date.parse(w.end)) {
        const freeze = `${formatZoned(Date.parse(f.start), f.timeZone)} to ${formatZoned(Date.parse(f.end), f.timeZone)}${f.reason ? `, ${JSON.stringify(f.reason)}` : ''}`;
        errors.push({
          path: 'cutoverWindow',
          value: written,
          allowed: `overlaps freeze[${i}] (${freeze}); no cutover starts inside a freeze: move the window out of it`,
        });
      }
    });
    if (ctx.now && Date.parse(w.end) <= ctx.now.getTime()) {
      errors.push({
        path: 'cutoverWindow.end',
        value: formatZoned(Date.parse(w.end), w.timeZone),
        allowed: `is in the past (now is ${formatZoned(ctx.now.getTime(), w.timeZone)}); give a cutover window that ends in the future`,
      });
    }
  }
  return errors;
}

/** Both passes: the text of a wave file to a resolved Wave, or a WaveFileError with every error. */
export function loadWaveFile(text: string, ctx: WaveContext): Wave {
  return validateWave(parseWaveFile(text, ctx.file), ctx);
}

// ---------------------------------------------------------------------------------------------------------
// a wave from MGN's own Waves and Applications

/** The plan for a wave read from MGN (MGN holds no schedule, approvers or launch settings). */
export interface WavePlan {
  timeZone?: string;
  defaults?: Partial<WaveDefaults>;
  cutoverWindow?: TimeWindow | null;
  approvers?: Partial<Approvers>;
  freeze?: FreezeWindow[];
  /** Applications to migrate first, by name or applicationID. */
  canaries?: readonly string[];
}

/**
 * The Wave of an MGN wave: one application per MGN application (in the order given), its servers those
 * whose applicationId is its applicationID (archived ones included: a wave run again reports them done).
 * The name is MGN's when it is a valid wave name (it starts execution names), the waveID otherwise.
 */
export function waveFromMgn(
  input: { wave: { waveID: string; name: string }; applications: readonly { applicationID: string; name: string }[]; servers: readonly ServerView[] },
  plan: WavePlan = {},
): Wave {
  const canaries = new Set(plan.canaries ?? []);
  const byApp = new Map<string, ServerView[]>();
  for (const s of input.servers) {
    if (!s.applicationId) continue;
    byApp.set(s.applicationId, [...(byApp.get(s.applicationId) ?? []), s]);
  }
  return {
    name: WAVE_NAME.test(input.wave.name) ? input.wave.name : input.wave.waveID,
    timeZone: plan.timeZone ?? 'UTC',
    source: { kind: 'mgn', waveId: input.wave.waveID, name: input.wave.name },
    defaults: { ...WAVE_DEFAULTS, ...plan.defaults },
    cutoverWindow: plan.cutoverWindow ?? null,
    approvers: { ...noApprovers(), ...plan.approvers },
    freeze: plan.freeze ?? [],
    applications: input.applications.map((a) => ({
      name: a.name,
      id: a.applicationID,
      canary: canaries.has(a.name) || canaries.has(a.applicationID),
      standalone: false,
      servers: (byApp.get(a.applicationID) ?? []).map((s) => ({ id: s.id, ...(s.hostname ? { hostname: s.hostname } : {}) })),
    })),
  };
}
