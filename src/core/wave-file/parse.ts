/** Pass 1: syntax, shape and the local times of the cutover and freeze windows. */

import { LineCounter, isNode, parseAllDocuments, visit, type Document } from 'yaml';
import { z } from 'zod';
import type { LaunchTemplateSettings } from '../../ports.ts';
import { APPROVER_KEYS } from '../lifecycle.ts';
import { APPROVAL_GATES } from '../contracts.ts';
import { LocalTimeError, formatZoned, isTimeZone, resolveLocalTime } from '../zoned-time.ts';
import { type ApprovalRules, type Approvers, type FreezeWindow, type LaunchSettings, type PostLaunchAction, type TimeWindow, WAVE_DEFAULTS, type WaveDefaults } from './model.ts';
import { GateApproversEntry, MSG, type RawAction, type RawFile, type RawServer, SSM_DOCUMENT_PARAMETER_NAME, UNKNOWN_KEY, WaveFileSchema } from './schema.ts';
import { Issues, type Seg, WAVE_FILE_LIMITS, WaveFileError, at, formatPath, showValue } from './issues.ts';

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

export const MAX_ACTIONS = 100;

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
