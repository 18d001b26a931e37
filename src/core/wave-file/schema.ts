/** The wave file's shape (zod), with the messages that say what is allowed. */

import { z } from 'zod';
import { APPROVER_KEYS, type ApproverKey } from '../lifecycle.ts';
import { APPROVAL_GATES, EMAIL_PATTERN, LIMITS, compiles } from '../contracts.ts';
import { TIME_ZONE_EXAMPLE, isTimeZone } from '../zoned-time.ts';
import { ACCOUNT_ID } from '../ids.ts';

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
export const UNKNOWN_KEY = '\u0000unknown:';

const bool = (what: string) => z.boolean({ error: `true or false${what ? `: ${what}` : ''}` });
const int = (min: number, max: number, what: string) =>
  z
    .number({ error: what })
    .int({ error: what })
    .min(min, { error: what })
    .max(max, { error: what });

export const WAVE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
/** MGN's ApplicationName / ActionName: 1..256, no leading/trailing blanks (MGN's own pattern). */
// narrower than MGN's: no control or text-reordering character either (names reach terminals, pages and e-mail)
// eslint-disable-next-line no-control-regex
const MGN_NAME = /^[^\s\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]( *[^\s\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff])*$/;
const ACTION_ID = /^.*[0-9a-zA-Z]$/;
const DOCUMENT_VERSION = /^(\$DEFAULT|\$LATEST|[0-9]+)$/;
const SSM_PARAMETER_NAME = /^[A-Za-z0-9_.-]{1,1011}$/;
export const SSM_DOCUMENT_PARAMETER_NAME = /^[A-Za-z0-9]{1,1011}$/;

export const MSG = {
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
export const GateApproversEntry = z.unknown().transform((v, ctx): string[] | z.infer<typeof PolicyEntry> => {
  const r = Array.isArray(v) ? Emails.safeParse(v) : PolicyEntry.safeParse(v);
  if (r.success) return r.data;
  // each issue as the chosen form raised it (an unknown key keeps its keys: one error per key)
  for (const i of r.error.issues) ctx.addIssue({ ...i, input: v } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

export const WaveFileSchema = strict(
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

export type RawFile = z.infer<typeof WaveFileSchema>;
export type RawServer = z.infer<typeof ServerObject>;
export type RawAction = z.infer<typeof Action>;
