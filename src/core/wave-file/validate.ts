/** Pass 2: against MGN: servers resolved by id or hostname, one application per server, MGN's quotas, the windows against the freezes and the clock. */

import type { LaunchTemplateSettings, ServerView } from '../../ports.ts';
import { APPROVAL_GATES, GatePolicy, LIMITS } from '../contracts.ts';
import { formatZoned } from '../zoned-time.ts';
import { SERVER_ID } from '../ids.ts';
import { Issues, type Seg, formatPath, showValue } from './issues.ts';
import { type LaunchSettings, type PostLaunchAction, type Wave, type WaveApplication, type WaveServer } from './model.ts';
import { MAX_ACTIONS, type ParsedWaveFile, type ServerRef, parseWaveFile } from './parse.ts';
import { MSG } from './schema.ts';

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
