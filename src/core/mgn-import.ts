import { CsvError, parse } from 'csv-parse/sync';
import type { LaunchTemplateSettings, ServerView } from '../ports.ts';
import { noApprovers } from './lifecycle.ts';
import { type LaunchSettings, type ParsedWaveFile, type ServerRef, type Wave, type WaveContext, WAVE_DEFAULTS, WaveFileError, type WaveFileIssue, showValue, validateWave } from './wave-file.ts';
import { ACCOUNT_ID, SERVER_ID } from './ids.ts';

/**
 * MGN's import file as a wave source (`wave start|schedule|rehearse --mgn-import FILE.csv`): the CSV template
 * MGN's console imports (User Guide, "Importing your data inventory", import parameters), one row per source
 * server, read with csv-parse. Rows name the server (`mgn:server:id`, or `mgn:server:user-provided-id`, or
 * `mgn:server:fqdn-for-action-framework`), its application (`mgn:app:name`; none: a standalone server) and its
 * wave (`mgn:wave:name`). The file becomes the same ParsedWaveFile a YAML wave file does and is validated the
 * same way against MGN. Every error reads `file:line:column: value: what is allowed` (the line of the file,
 * the column as a spreadsheet counts it, 1-based); one error refuses the whole file.
 */

type Seg = string | number;
type Cell = { line: number; column: number; value: string };

/** The columns mgn-flow reads, and what it does with each. Tag and description columns are MGN's console metadata. */
const COLUMNS = {
  'mgn:account-id': "the account of the server in MGN's global view (12 digits); empty: the account mgn-flow runs in. An application's rows name one account",
  'mgn:region': 'the Region (e.g. eu-central-1); empty: the Region mgn-flow runs in',
  'mgn:wave:name': 'the wave the server migrates in',
  'mgn:wave:description': "the wave's description (MGN's console)",
  'mgn:wave:id': "MGN's id of the wave (wave-...)",
  'mgn:app:name': "the server's application (empty: a standalone server)",
  'mgn:app:description': "the application's description (MGN's console)",
  'mgn:app:id': "MGN's id of the application (app-...)",
  'mgn:server:id': "MGN's id of the source server (s-...)",
  'mgn:server:user-provided-id': 'the id given when the replication agent was installed (--user-provided-id)',
  'mgn:server:fqdn-for-action-framework': 'the FQDN of the server',
  'mgn:server:platform': 'LINUX or WINDOWS',
  'mgn:launch:transfer-server-tags': "true or false: copy the source server's tags to the launched instance (copyTags)",
  'mgn:launch:placement:operating-system-licensing': 'LI (license included) or BYOL (bring your own license)',
} as const;
const TAG_COLUMN = /^mgn:(wave|app|server):tag:.+$/;
/** MGN's EC2 launch template columns mgn-flow sets (through a new default version of the server's template). */
const TEMPLATE_COLUMN = /^mgn:launch:(instance-type|nic:0:subnet-id|nic:0:security-group-id:\d+|nic:0:private-ip:0|tag:instance:.+)$/;
/** The other EC2 launch template columns: mgn-flow does not set them from an import file. */
const LAUNCH_TEMPLATE_COLUMN = /^mgn:launch:(iam-instance-profile:name|nic:\d+:.+|placement:(tenancy|host-id)|volume:.+)$/;

const WAVE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const MGN_NAME = /^[^\s\x00]( *[^\s\x00])*$/; // eslint-disable-line no-control-regex

export interface ImportContext extends WaveContext {
  /** The Region mgn-flow runs in: a row naming another is refused. */
  region?: string;
  /** The account mgn-flow runs in: a row naming it is in the home account (as an empty mgn:account-id). */
  accountId?: string;
  /** The wave to run when the file lists several (mgn:wave:name). */
  wave?: string;
}

/** A wave name as an execution name can start with it: blanks and other characters become '-'. */
export function waveNameFor(mgnName: string): string {
  return mgnName.trim().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[-_]+|-+$/g, '').slice(0, 48);
}

/** Read and validate MGN's import file into a Wave; throws a WaveFileError (each error file:line:column) if anything is wrong. */
export function loadMgnImport(text: string, ctx: ImportContext): Wave {
  const file = ctx.file;
  const issues: WaveFileIssue[] = [];
  const add = (c: Pick<Cell, 'line' | 'column'>, value: string, allowed: string) => issues.push({ file, path: `${c.line}:${c.column}`, value, allowed, line: c.line, column: c.column });
  const fail = (): never => {
    throw new ImportFileError(issues);
  };

  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, trim: false, relax_column_count: false }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const e = err as CsvError & { lines?: number; column?: number | string };
    add({ line: e.lines ?? 1, column: typeof e.column === 'number' ? e.column + 1 : 1 }, '(the row)', `not CSV that MGN's import reads: ${err.message.replace(/^Invalid Record Length: /, '')}`);
    return fail();
  }
  const [head, ...rows] = records;
  if (!head) {
    add({ line: 1, column: 1 }, '(empty file)', `MGN's import template: a header row of columns (mgn:wave:name, mgn:app:name, mgn:server:user-provided-id, ...) and one row per source server`);
    return fail();
  }

  // the header
  const col = new Map<string, number>();
  head.record.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    const at = { line: head.info.lines, column: i + 1 };
    if (col.has(name)) add(at, showValue(raw), `column ${name} is already column ${(col.get(name) as number) + 1}; give each column once`);
    else if (name in COLUMNS || TAG_COLUMN.test(name) || TEMPLATE_COLUMN.test(name)) col.set(name, i);
    else if (LAUNCH_TEMPLATE_COLUMN.test(name)) add(at, showValue(raw), "an EC2 launch template field mgn-flow does not set (it sets mgn:launch:instance-type, nic:0:subnet-id, nic:0:security-group-id:N, nic:0:private-ip:0 and tag:instance:<key>); import the file in MGN's console for it, or remove the column");
    else add(at, showValue(raw), `not a column of MGN's import template that mgn-flow reads; the columns are ${Object.keys(COLUMNS).join(', ')} and mgn:wave|app|server:tag:<key>`);
  });
  if (!col.has('mgn:server:id') && !col.has('mgn:server:user-provided-id') && !col.has('mgn:server:fqdn-for-action-framework')) {
    add({ line: head.info.lines, column: 1 }, '(header)', 'a column naming the server: mgn:server:id, mgn:server:user-provided-id or mgn:server:fqdn-for-action-framework');
  }
  if (!col.has('mgn:wave:name')) add({ line: head.info.lines, column: 1 }, '(header)', 'the column mgn:wave:name: the wave each server migrates in');
  // without a server or wave column the rows cannot be read; a column refused above is skipped in them
  if (!col.has('mgn:wave:name') || (!col.has('mgn:server:id') && !col.has('mgn:server:user-provided-id') && !col.has('mgn:server:fqdn-for-action-framework'))) return fail();

  const cell = (r: (typeof rows)[number], name: string): Cell | undefined => {
    const i = col.get(name);
    if (i === undefined) return undefined;
    return { line: r.info.lines, column: i + 1, value: (r.record[i] ?? '').trim() };
  };

  // the rows: one source server each
  type Row = { line: number; wave: Cell; app?: Cell; account?: Cell; server: Cell & { by: 'id' | 'user-provided-id' | 'fqdn' }; launch?: LaunchSettings; launchTemplate?: LaunchTemplateSettings };
  const parsed: Row[] = [];
  const waveNames = new Map<string, Cell>();
  for (const r of rows) {
    const wave = cell(r, 'mgn:wave:name') as Cell;
    if (!wave.value) add(wave, '(empty)', 'the name of the wave the server migrates in (mgn:wave:name)');
    else if (!MGN_NAME.test(wave.value) || wave.value.length > 256) add(wave, showValue(wave.value), 'a wave name of 1 to 256 characters without leading or trailing blanks');
    else if (!WAVE_NAME.test(waveNameFor(wave.value))) add(wave, showValue(wave.value), 'a wave name with at least one letter or digit (mgn-flow names executions after it)');
    else if (!waveNames.has(wave.value)) waveNames.set(wave.value, wave);
    const account = cell(r, 'mgn:account-id');
    if (account?.value && !ACCOUNT_ID.test(account.value)) add(account, showValue(account.value), "an AWS account id of 12 digits (an account of MGN's global view), or empty for the account mgn-flow runs in");
    // an account of MGN's global view other than the home account: the server's application runs there
    const elsewhere = account?.value && ACCOUNT_ID.test(account.value) && account.value !== ctx.accountId ? account : undefined;
    const region = cell(r, 'mgn:region');
    if (region?.value && !REGION.test(region.value)) add(region, showValue(region.value), 'an AWS Region such as eu-central-1, or empty');
    else if (region?.value && ctx.region && region.value !== ctx.region) add(region, showValue(region.value), `the Region mgn-flow runs in (${ctx.region}), or empty`);
    const app = cell(r, 'mgn:app:name');
    if (app?.value && (!MGN_NAME.test(app.value) || app.value.length > 256)) add(app, showValue(app.value), 'an application name of 1 to 256 characters without leading or trailing blanks, or empty for a standalone server');
    for (const [name, re, what] of [
      ['mgn:wave:id', /^wave-[0-9a-zA-Z]{17}$/, "MGN's wave id: wave- and 17 letters or digits"],
      ['mgn:app:id', /^app-[0-9a-zA-Z]{17}$/, "MGN's application id: app- and 17 letters or digits"],
    ] as const) {
      const c = cell(r, name);
      if (c?.value && !re.test(c.value)) add(c, showValue(c.value), `${what}, or empty`);
    }
    const platform = cell(r, 'mgn:server:platform');
    if (platform?.value && !/^(linux|windows)$/i.test(platform.value)) add(platform, showValue(platform.value), 'LINUX or WINDOWS, or empty');
    const launch: LaunchSettings = {};
    const tags = cell(r, 'mgn:launch:transfer-server-tags');
    if (tags?.value) {
      if (/^(true|false)$/i.test(tags.value)) launch.copyTags = tags.value.toLowerCase() === 'true';
      else add(tags, showValue(tags.value), 'true or false, or empty');
    }
    const licensing = cell(r, 'mgn:launch:placement:operating-system-licensing');
    if (licensing?.value) {
      if (/^(li|byol)$/i.test(licensing.value)) launch.licensing = { osByol: licensing.value.toUpperCase() === 'BYOL' };
      else add(licensing, showValue(licensing.value), 'LI (license included) or BYOL (bring your own license), or empty');
    }
    const template: LaunchTemplateSettings = {};
    const check = (c: Cell | undefined, re: RegExp, what: string): string | undefined => {
      if (!c?.value) return undefined;
      if (re.test(c.value)) return c.value;
      add(c, showValue(c.value), `${what}, or empty`);
      return undefined;
    };
    const type = check(cell(r, 'mgn:launch:instance-type'), /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as m6i.large');
    if (type) template.instanceType = type;
    const subnet = check(cell(r, 'mgn:launch:nic:0:subnet-id'), /^subnet-[0-9a-f]{8,17}$/, 'a subnet id such as subnet-0abc12345def67890');
    if (subnet) template.subnetId = subnet;
    const ip = check(cell(r, 'mgn:launch:nic:0:private-ip:0'), /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, 'an IPv4 address such as 10.20.30.40');
    if (ip) template.privateIpAddress = ip;
    const groups: string[] = [];
    const instanceTags: Record<string, string> = {};
    for (const [name, i] of col) {
      const c = { line: r.info.lines, column: i + 1, value: (r.record[i] ?? '').trim() };
      if (/^mgn:launch:nic:0:security-group-id:\d+$/.test(name)) {
        const g = check(c, /^sg-[0-9a-f]{8,17}$/, 'a security group id such as sg-0abc12345def67890');
        if (g) groups.push(g);
      } else if (name.startsWith('mgn:launch:tag:instance:') && c.value) instanceTags[(head.record[i] ?? '').trim().slice('mgn:launch:tag:instance:'.length)] = c.value;
    }
    if (groups.length) template.securityGroupIds = groups;
    if (Object.keys(instanceTags).length) template.tags = instanceTags;
    const id = cell(r, 'mgn:server:id');
    const upid = cell(r, 'mgn:server:user-provided-id');
    const fqdn = cell(r, 'mgn:server:fqdn-for-action-framework');
    let server: Row['server'] | undefined;
    if (id?.value) {
      if (SERVER_ID.test(id.value)) server = { ...id, by: 'id' };
      else add(id, showValue(id.value), "MGN's source server id: s- and 17 letters or digits");
    } else if (upid?.value) server = { ...upid, by: 'user-provided-id' };
    else if (fqdn?.value) server = { ...fqdn, by: 'fqdn' };
    else add(id ?? upid ?? (fqdn as Cell), '(empty)', 'the server: mgn:server:id, mgn:server:user-provided-id or mgn:server:fqdn-for-action-framework');
    if (elsewhere && !app?.value) add(elsewhere, showValue(elsewhere.value), `a server in another account (${elsewhere.value}) belongs to an application: give it mgn:app:name, or leave mgn:account-id empty`);
    if (server) parsed.push({ line: r.info.lines, wave, ...(app?.value ? { app } : {}), ...(elsewhere ? { account: elsewhere } : {}), server, ...(Object.keys(launch).length ? { launch } : {}), ...(Object.keys(template).length ? { launchTemplate: template } : {}) });
  }
  if (rows.length === 0) add({ line: head.info.lines, column: 1 }, '(no rows)', 'one row per source server under the header');
  if (issues.length) return fail();

  // the wave: the only one the file lists, or the one asked for
  let chosen: string;
  if (ctx.wave !== undefined) {
    const found = [...waveNames.keys()].find((w) => w === ctx.wave || waveNameFor(w) === ctx.wave);
    if (!found) {
      add({ line: head.info.lines, column: (col.get('mgn:wave:name') as number) + 1 }, showValue(ctx.wave), `a wave the file lists: ${[...waveNames.keys()].map((w) => JSON.stringify(w)).join(', ')}`);
      return fail();
    }
    chosen = found;
  } else if (waveNames.size > 1) {
    const [, second] = [...waveNames.values()];
    add(second as Cell, showValue((second as Cell).value), `the file lists ${waveNames.size} waves (${[...waveNames.keys()].map((w) => JSON.stringify(w)).join(', ')}); run one at a time with --wave-name <name>`);
    return fail();
  } else chosen = [...waveNames.keys()][0] as string;

  // servers named by user-provided id or FQDN are found in MGN here; ids and the rest go through validateWave
  // (in the row's account: another account's servers are read there)
  const lookups = new Map<string, { byUpid: Map<string, ServerView[]>; byFqdn: Map<string, ServerView[]> }>();
  const lookup = (account: string | undefined) => {
    const key = account ?? '';
    let l = lookups.get(key);
    if (l) return l;
    l = { byUpid: new Map(), byFqdn: new Map() };
    for (const s of account ? (ctx.accounts?.servers.get(account) ?? []) : ctx.servers) {
      if (s.userProvidedId) l.byUpid.set(s.userProvidedId, [...(l.byUpid.get(s.userProvidedId) ?? []), s]);
      for (const name of new Set([s.fqdn, s.hostname].filter((x): x is string => !!x).map((x) => x.toLowerCase()))) l.byFqdn.set(name, [...(l.byFqdn.get(name) ?? []), s]);
    }
    lookups.set(key, l);
    return l;
  };
  const where = new Map<string, { line: number; column: number }>();
  const apps = new Map<string, { name: string; servers: ServerRef[]; first: Cell; account?: Cell }>();
  const standalone: ServerRef[] = [];
  for (const row of parsed.filter((p) => p.wave.value === chosen)) {
    let ref = row.server.value;
    const known = row.app ? apps.get(row.app.value) : undefined;
    if (known && known.account?.value !== row.account?.value) {
      const at = row.account ?? row.server;
      add(at, showValue(row.account?.value ?? ''), `the account of application ${JSON.stringify(known.name)}: ${known.account ? `${known.account.value} (line ${known.account.line})` : 'empty (the account mgn-flow runs in)'}; an application's servers are in one account`);
      continue;
    }
    if (row.server.by !== 'id') {
      const { byUpid, byFqdn } = lookup(row.account?.value);
      const found = (row.server.by === 'user-provided-id' ? byUpid.get(ref) : byFqdn.get(ref.toLowerCase())) ?? [];
      const live = found.filter((s) => !s.isArchived);
      const candidates = live.length ? live : found;
      if (candidates.length !== 1) {
        const what = row.server.by === 'user-provided-id' ? 'user-provided id' : 'FQDN';
        add(row.server, showValue(ref), candidates.length === 0 ? `no source server in MGN has this ${what}; give one DescribeSourceServers lists, or mgn:server:id` : `${candidates.length} source servers in MGN have this ${what} (${candidates.map((s) => s.id).join(', ')}); give mgn:server:id`);
        continue;
      }
      ref = (candidates[0] as ServerView).id;
    }
    let app = row.app ? apps.get(row.app.value) : undefined;
    if (row.app && !app) {
      app = { name: row.app.value, servers: [], first: row.app, ...(row.account ? { account: row.account } : {}) };
      apps.set(app.name, app);
      where.set(JSON.stringify(['applications', apps.size - 1, 'name']), { line: row.app.line, column: row.app.column });
      if (row.account) where.set(JSON.stringify(['applications', apps.size - 1, 'account']), { line: row.account.line, column: row.account.column });
    }
    const path: Seg[] = app ? ['applications', [...apps.keys()].indexOf(app.name), 'servers', app.servers.length] : ['servers', standalone.length];
    where.set(JSON.stringify(path), { line: row.server.line, column: row.server.column });
    const serverRef: ServerRef = { ref, path, ...(row.launch ? { launch: row.launch } : {}), ...(row.launchTemplate ? { launchTemplate: row.launchTemplate } : {}) };
    if (app) app.servers.push(serverRef);
    else standalone.push(serverRef);
  }
  const waveCell = waveNames.get(chosen) as Cell;
  where.set(JSON.stringify(['wave']), { line: waveCell.line, column: waveCell.column });

  const name = waveNameFor(chosen);
  const file1: ParsedWaveFile = {
    file,
    version: 1,
    wave: { name, timeZone: 'UTC' },
    defaults: { ...WAVE_DEFAULTS },
    cutoverWindow: null,
    approvers: noApprovers(),
    ops: [],
    freeze: [],
    applications: [...apps.values()].map((a) => ({ name: a.name, canary: false, ...(a.account ? { account: a.account.value } : {}), servers: a.servers })),
    servers: standalone,
    locate: (p) => {
      for (let n = p.length; n >= 0; n--) {
        const hit = where.get(JSON.stringify(p.slice(0, n)));
        if (hit) return hit;
      }
      return { line: waveCell.line, column: waveCell.column };
    },
  };
  // validated like a wave file (placement, quotas) even when some servers were not found: every error at once
  try {
    const wave = validateWave(file1, ctx);
    if (!issues.length) return { ...wave, source: { kind: 'mgn-import', file, name: chosen } };
  } catch (err) {
    if (!(err instanceof WaveFileError)) throw err;
    // a wave-file path in a message (applications[0].servers[1]) reads as the line of the file
    const lineOf = (text: string) => text.replace(/\b(applications\[\d+\]\.servers\[\d+\]|servers\[\d+\])/g, (m) => {
      const segs = m.split(/[.[\]]+/).filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
      const at = where.get(JSON.stringify(segs));
      return at ? `line ${at.line}` : m;
    });
    issues.push(...err.issues.map((i) => ({ ...i, allowed: lineOf(i.allowed), line: i.line ?? waveCell.line, column: i.column ?? waveCell.column, path: `${i.line ?? waveCell.line}:${i.column ?? waveCell.column}` })));
  }
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return fail();
}

/** The file's rows with a column finder, read leniently (a file that does not read has no rows: loadMgnImport says why). */
function leniently(text: string): { body: string[][]; at(name: string): number } {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true }) as string[][];
  } catch {
    rows = [];
  }
  const [head = [], ...body] = rows;
  return { body, at: (name) => head.findIndex((h) => h.trim().toLowerCase() === name) };
}

/**
 * The servers the file's rows name, as they are written (for a rehearsal, which makes them up): an id, a
 * user-provided id or an FQDN. A file that does not read gives none (loadMgnImport then says why).
 */
export function importServerRefs(text: string, wave?: string): { id?: string; userProvidedId?: string; fqdn?: string; account?: string }[] {
  const { body, at } = leniently(text);
  const [w, id, upid, fqdn, account] = ['mgn:wave:name', 'mgn:server:id', 'mgn:server:user-provided-id', 'mgn:server:fqdn-for-action-framework', 'mgn:account-id'].map(at) as [number, number, number, number, number];
  const value = (r: string[], i: number) => (i >= 0 ? (r[i] ?? '').trim() : '');
  return body
    .filter((r) => wave === undefined || value(r, w) === wave || waveNameFor(value(r, w)) === wave)
    .map((r) => {
      const ref = value(r, id) ? { id: value(r, id) } : value(r, upid) ? { userProvidedId: value(r, upid) } : value(r, fqdn) ? { fqdn: value(r, fqdn) } : undefined;
      // the row's account of MGN's global view (a rehearsal seeds the server there)
      return ref && ACCOUNT_ID.test(value(r, account)) ? { ...ref, account: value(r, account) } : ref;
    })
    .filter((x): x is NonNullable<typeof x> => x !== undefined);
}

/** The accounts of MGN's global view the file's rows name (mgn:account-id, 12 digits), besides `home`: read before loading it. */
export function importAccounts(text: string, home?: string): string[] {
  const { body, at } = leniently(text);
  const i = at('mgn:account-id');
  if (i < 0) return [];
  return [...new Set(body.map((r) => (r[i] ?? '').trim()).filter((a) => ACCOUNT_ID.test(a) && a !== home))];
}

/** The import file is refused: every error, each `file:line:column: value: what is allowed`. */
export class ImportFileError extends WaveFileError {
  constructor(issues: WaveFileIssue[]) {
    super(issues);
    this.name = 'ImportFileError';
  }
}
