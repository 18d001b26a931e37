import type { AuditEntry, AuditLog, Gate, GateStore, HoldRecord, JobView, MgnPort, RefusalCount, ServerOutcome, WaveStore } from '../ports.ts';
import { escapeHtml } from './approval-page.ts';
import { type GateEvidence, evidenceLines } from './approvals.ts';
import { APPROVER_KEYS, gateWords } from './lifecycle.ts';
import { tallyText, zonedMinute } from './gates.ts';
import { admissionOrder } from './wave.ts';
import type { Wave } from './wave-file.ts';

/**
 * A wave's evidence pack (`mgn-flow wave report <wave> --html FILE`): one self-contained page a change board
 * files with the change record. The plan, the timeline, each gate's decisions (who, when, change id, comment)
 * with the evidence as it was when decided (snapshotted in the audit at that moment), the launches and their
 * jobs, the holds and why, and the outcome per server. No script, no external resource.
 */

export type EvidencePackDeps = {
  waves: Pick<WaveStore, 'getDefinition' | 'outcomes' | 'holds'>;
  gates: Pick<GateStore, 'forWave'>;
  audit: Pick<AuditLog, 'list' | 'refusals'>;
  mgn: Pick<MgnPort, 'describeServers' | 'jobsSince' | 'forAccount'>;
  clock: { now(): Date };
};

export interface PackServer {
  id: string;
  hostname?: string;
  application: string;
  outcome?: ServerOutcome;
  lifeCycle?: string;
  archived?: boolean;
}

export interface PackLaunch {
  jobId: string;
  kind: 'test' | 'cutover' | 'terminate';
  status: string;
  createdAt: string;
  servers: { id: string; launchStatus: string; postLaunch: string }[];
}

export interface EvidencePack {
  wave: Wave;
  generatedAt: string;
  servers: PackServer[];
  gates: Gate[];
  decisions: AuditEntry[];
  refusals: RefusalCount[];
  holds: HoldRecord[];
  launches: PackLaunch[];
  /** MGN could not be read for the launches: why. */
  mgnUnavailable?: string;
}

export class WaveNotStoredError extends Error {
  constructor(wave: string) {
    super(`no wave ${wave} is stored here: start one with 'mgn-flow wave start <file>'`);
    this.name = 'WaveNotStoredError';
  }
}

function postLaunchText(p: JobView['servers'][number]['postLaunch']): string {
  const actions = p?.actions ?? [];
  if (actions.length === 0) return 'none';
  const ok = actions.filter((a) => a.status === 'SUCCESS').length;
  const failed = actions.filter((a) => a.status === 'FAILED').map((a) => a.name);
  return `${ok}/${actions.length} succeeded${failed.length ? `; failed: ${failed.join(', ')}` : ''}`;
}

/** Everything the pack shows, read from the stores and MGN now (the decisions' evidence as it was then). */
export async function collectEvidencePack(deps: EvidencePackDeps, name: string): Promise<EvidencePack> {
  const wave = await deps.waves.getDefinition(name);
  if (!wave) throw new WaveNotStoredError(name);
  const [outcomes, holds, gates, audit, refusals] = await Promise.all([deps.waves.outcomes(name), deps.waves.holds(name), deps.gates.forWave(name), deps.audit.list(), deps.audit.refusals()]);
  const byId = new Map(outcomes.map((o) => [o.serverId, o]));
  const ids = wave.applications.flatMap((a) => a.servers.map((s) => s.id));
  const mine = new Set(ids);
  let mgnUnavailable: string | undefined;
  const views = new Map<string, { lifeCycle: string; isArchived: boolean }>();
  let launches: PackLaunch[] = [];
  try {
    // each account of MGN's global view the wave's applications are in is read with its accountID
    const accounts = [...new Set(wave.applications.map((a) => a.account))];
    for (const account of accounts) {
      const inIt = wave.applications.filter((a) => a.account === account).flatMap((a) => a.servers.map((s) => s.id));
      for (const v of inIt.length ? await deps.mgn.forAccount(account).describeServers(inIt) : []) views.set(v.id, v);
    }
    // every job since the wave's first start that touched its servers (a failed test launch and its relaunch too)
    // (from 90 days, MGN's free replication period, before the first thing the wave recorded)
    const first = [...outcomes.map((o) => o.at), ...gates.map((g) => g.openedAt), ...holds.map((h) => h.from)].sort()[0];
    const jobs = [];
    if (first) for (const account of accounts) jobs.push(...(await deps.mgn.forAccount(account).jobsSince(new Date(Date.parse(first) - 90 * 86_400_000).toISOString())));
    launches = jobs
      .filter((j) => j.servers.some((s) => mine.has(s.id)))
      .map((j) => ({
        jobId: j.id,
        kind: j.type === 'TERMINATE' ? ('terminate' as const) : /cutover/i.test(j.initiatedBy) ? ('cutover' as const) : ('test' as const),
        status: j.status,
        createdAt: j.createdAt,
        servers: j.servers.filter((s) => mine.has(s.id)).map((s) => ({ id: s.id, launchStatus: s.launchStatus, postLaunch: postLaunchText(s.postLaunch) })),
      }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  } catch (err) {
    mgnUnavailable = `${(err as Error).name}: ${String((err as Error).message).slice(0, 200)}`;
  }
  return {
    wave,
    generatedAt: deps.clock.now().toISOString(),
    servers: admissionOrder(wave).flatMap((a) =>
      a.servers.map((s) => {
        const v = views.get(s.id);
        const o = byId.get(s.id);
        return { id: s.id, ...(s.hostname ? { hostname: s.hostname } : {}), application: a.name, ...(o ? { outcome: o } : {}), ...(v ? { lifeCycle: v.lifeCycle, archived: v.isArchived } : {}) };
      }),
    ),
    gates,
    decisions: audit.filter((e) => e.wave === name).sort((a, b) => a.at.localeCompare(b.at)),
    refusals: refusals.filter((r) => r.wave === name),
    holds: [...holds].sort((a, b) => a.from.localeCompare(b.from)),
    launches,
    ...(mgnUnavailable ? { mgnUnavailable } : {}),
  };
}

// ------------------------------------------------------------------------------------------------ html

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#16191f}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:2px solid #232f3e;padding-bottom:.2rem}h3{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border-bottom:1px solid #d5dbdb;padding:.3rem .45rem;text-align:left;vertical-align:top;font-size:.85rem}th{background:#f2f3f3}
.meta{color:#545b64}.ok{color:#1d8102;font-weight:600}.bad{color:#d13212;font-weight:600}.wait{color:#8d6605;font-weight:600}
.gate{border:1px solid #d5dbdb;border-radius:6px;padding:.5rem 1rem;margin:.8rem 0;break-inside:avoid}pre{white-space:pre-wrap;font:12px/1.4 ui-monospace,monospace;background:#fafafa;border:1px solid #eaeded;padding:.5rem;margin:.3rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}}`;

const e = escapeHtml;
const statusClass = (s: string) => (/SUCCEEDED|approve|SUCCEEDED|COMPLETED|LAUNCHED|CUTOVER/.test(s) ? 'ok' : /FAILED|ABORTED|TIMED_OUT|reject|stop|rollback|EXPIRED/.test(s) ? 'bad' : 'wait');

function planSection(p: EvidencePack, zone: string): string {
  const w = p.wave;
  const approvers = APPROVER_KEYS.map((g) => {
    const q = w.rules?.quorum?.[g];
    const ref = w.rules?.changeRef?.gates.includes(g) ? w.rules.changeRef.pattern : undefined;
    return `<tr><td>${g}</td><td>${w.approvers[g].map(e).join(', ') || '<span class="meta">the approvals topic (one link)</span>'}</td><td>${q ? `${q.quorum} of ${w.approvers[g].length}${q.rejects > 1 ? `, ${q.rejects} rejections decide reject` : ', one rejection decides reject'}` : 'one decision decides'}</td><td>${ref ? `<code>${e(ref)}</code>` : '-'}</td></tr>`;
  });
  return `<h2 id="plan">Plan</h2>
<dl><dt>Wave</dt><dd>${e(w.name)} (${w.source.kind === 'file' ? `wave file ${e(w.source.file)}` : w.source.kind === 'mgn' ? `MGN wave ${e(w.source.waveId)}` : `MGN import file ${e(w.source.file)}`})</dd>
<dt>Time zone</dt><dd>${e(zone)}</dd>
<dt>Applications</dt><dd>${w.applications.length} (${w.applications.reduce((n, a) => n + a.servers.length, 0)} servers)${w.applications.some((a) => a.canary) ? `; canaries first: ${w.applications.filter((a) => a.canary).map((a) => e(a.name)).join(', ')}` : ''}</dd>
<dt>Soak</dt><dd>${w.defaults.soakDays} day(s)</dd>
<dt>Concurrency, failure policy</dt><dd>${w.defaults.concurrency} application(s) at once; ${e(w.defaults.failurePolicy)}</dd>
<dt>Cutover window</dt><dd>${w.cutoverWindow ? `${e(zonedMinute(w.cutoverWindow.start, zone))} to ${e(zonedMinute(w.cutoverWindow.end, zone))}` : 'none (any time)'}</dd>
<dt>Freezes</dt><dd>${w.freeze.length ? w.freeze.map((f) => `${e(zonedMinute(f.start, zone))} to ${e(zonedMinute(f.end, zone))}${f.reason ? ` (${e(f.reason)})` : ''}`).join('<br>') : 'none'}</dd></dl>
<table aria-label="approvers"><thead><tr><th>gate</th><th>approvers</th><th>quorum</th><th>change id pattern</th></tr></thead><tbody>${approvers.join('')}</tbody></table>`;
}

interface TimelineEvent {
  at: string;
  what: string;
  cls?: string;
}

function timeline(p: EvidencePack): TimelineEvent[] {
  const ev: TimelineEvent[] = [];
  const host = new Map(p.servers.map((s) => [s.id, s.hostname ?? s.id]));
  for (const g of p.gates) {
    ev.push({ at: g.openedAt, what: `${gateWords(g.gate).title} for ${g.application} opened (decide by ${g.deadline})` });
    if (g.status === 'EXPIRED') ev.push({ at: g.deadline, what: `${gateWords(g.gate).title} for ${g.application} expired without a decision (safe path)`, cls: 'bad' });
  }
  for (const d of p.decisions) ev.push({ at: d.at, what: `${gateWords(d.gate).title} for ${d.application}: ${d.decision} by ${d.by}${d.changeRef ? ` (change ${d.changeRef})` : ''}${d.quorum && !d.quorum.decided ? ` (counted: ${d.quorum.approvals} of ${d.quorum.of})` : ''}`, cls: statusClass(d.decision) });
  for (const l of p.launches) ev.push({ at: l.createdAt, what: `${l.kind} job ${l.jobId} for ${l.servers.map((s) => host.get(s.id) ?? s.id).join(', ')}: ${l.status}`, cls: statusClass(l.status) });
  for (const h of p.holds) ev.push({ at: h.from, what: `${host.get(h.serverId) ?? h.serverId} held: ${h.reason}${h.until ? ` until ${h.until}` : ''}`, cls: 'wait' });
  for (const s of p.servers) if (s.outcome && s.outcome.status !== 'RUNNING') ev.push({ at: s.outcome.at, what: `${s.hostname ?? s.id} (${s.application}): ${s.outcome.status}${s.outcome.error ? ` (${s.outcome.error})` : ''}`, cls: statusClass(s.outcome.status) });
  return ev.sort((a, b) => a.at.localeCompare(b.at));
}

function decisionBlock(d: AuditEntry, zone: string): string {
  const ev = d.evidence as GateEvidence | undefined;
  return `<div class="decision"><dl>
<dt>Decision</dt><dd class="${statusClass(d.decision)}">${e(d.decision)}${d.quorum ? ` <span class="meta">(${d.quorum.approvals} approve, ${d.quorum.rejections} reject of ${d.quorum.of}; ${d.quorum.needed} needed${d.quorum.decided ? '; this decided the gate' : '; counted'})</span>` : ''}</dd>
<dt>Who</dt><dd>${e(d.name)} <span class="meta">(approver ${e(d.approver)}, via ${d.channel}${d.linkId ? `, link ${e(d.linkId)}` : ''})</span></dd>
<dt>When</dt><dd>${e(zonedMinute(d.at, zone))} <span class="meta">${e(d.at)}</span></dd>
<dt>Change id</dt><dd>${d.changeRef ? e(d.changeRef) : '<span class="meta">none</span>'}</dd>
<dt>Comment</dt><dd>${d.comment ? e(d.comment) : '<span class="meta">none</span>'}</dd>
${d.quiesced !== undefined ? `<dt>Sources quiesced</dt><dd>${d.quiesced ? 'confirmed' : 'not confirmed'}</dd>` : ''}
${d.acceptMissing?.length ? `<dt>Went ahead without</dt><dd>${d.acceptMissing.map(e).join(', ')}</dd>` : ''}
${d.terminateInstances !== undefined ? `<dt>Terminate cutover instances</dt><dd>${d.terminateInstances ? 'yes' : 'no'}</dd>` : ''}
<dt>Released</dt><dd>${d.released.length ? d.released.map(e).join(', ') : '<span class="meta">none (counted toward the quorum)</span>'}</dd></dl>
<h4>Evidence when decided${ev ? ` <span class="meta">(read from MGN at ${e(zonedMinute(ev.collectedAt, zone))})</span>` : ''}</h4>
${ev ? `<pre>${e(evidenceLines(ev).join('\n'))}</pre>` : '<p class="meta">not recorded (a decision made before evidence was kept with it)</p>'}</div>`;
}

function gatesSection(p: EvidencePack, zone: string): string {
  if (p.gates.length === 0) return '<h2 id="gates">Gate decisions</h2><p class="meta">No gate was opened.</p>';
  const blocks = p.gates.map((g) => {
    const decisions = p.decisions.filter((d) => d.gateId === g.id);
    const refused = p.refusals.filter((r) => r.gateId === g.id).map((r) => `${r.count} x ${r.status}`);
    return `<section class="gate" data-gate="${e(g.gate)}"><h3>${e(gateWords(g.gate).title)}: ${e(g.application)} <span class="meta">${e(g.id)}</span></h3>
<p>Opened ${e(zonedMinute(g.openedAt, zone))}; decide by ${e(zonedMinute(g.deadline, zone))}; asked ${(g.approvers ?? []).map(e).join(', ') || 'the approvals topic'}${g.changeRef ? `; change id required (<code>${e(g.changeRef)}</code>)` : ''}. Status: <span class="${statusClass(g.status === 'DECIDED' ? (g.decision?.decision ?? '') : g.status)}">${g.status === 'DECIDED' ? `${e(g.decision?.decision ?? '')} by ${e(g.decision?.by ?? '')}` : e(g.status)}</span>${g.quorum ? `<br>${e(tallyText(g))}` : ''}${refused.length ? `<br><span class="meta">refused requests: ${refused.join(', ')}</span>` : ''}</p>
${decisions.map((d) => decisionBlock(d, zone)).join('')}</section>`;
  });
  return `<h2 id="gates">Gate decisions</h2>${blocks.join('')}`;
}

/** The pack as one self-contained HTML page: no script, no external resource, every value escaped. */
export function evidencePackHtml(p: EvidencePack): string {
  const zone = p.wave.timeZone;
  const counts = new Map<string, number>();
  for (const s of p.servers) counts.set(s.outcome?.status ?? 'NOT_STARTED', (counts.get(s.outcome?.status ?? 'NOT_STARTED') ?? 0) + 1);
  const summary = [...counts].map(([k, n]) => `<span class="${statusClass(k)}">${n} ${e(k)}</span>`).join(', ');
  const host = new Map(p.servers.map((s) => [s.id, s.hostname ?? s.id]));
  const body = `<h1>Evidence pack: wave ${e(p.wave.name)}</h1>
<p class="meta">Generated ${e(zonedMinute(p.generatedAt, zone))} (${e(p.generatedAt)}) by mgn-flow from its audit log, its state and MGN. Servers: ${summary}.</p>
<nav class="meta"><a href="#plan">Plan</a> · <a href="#timeline">Timeline</a> · <a href="#gates">Gate decisions</a> · <a href="#launches">Launches</a> · <a href="#holds">Holds</a> · <a href="#outcome">Outcome per server</a></nav>
${planSection(p, zone)}
<h2 id="timeline">Timeline</h2>
<table aria-label="timeline"><thead><tr><th>when (${e(zone)})</th><th>what</th></tr></thead><tbody>${timeline(p)
    .map((t) => `<tr><td>${e(zonedMinute(t.at, zone))}</td><td${t.cls ? ` class="${t.cls}"` : ''}>${e(t.what)}</td></tr>`)
    .join('')}</tbody></table>
${gatesSection(p, zone)}
<h2 id="launches">Launches and their jobs</h2>
${p.mgnUnavailable ? `<p class="bad">MGN could not be read: ${e(p.mgnUnavailable)}</p>` : ''}
<table aria-label="launches"><thead><tr><th>created</th><th>job</th><th>kind</th><th>status</th><th>servers (launch status; post-launch actions)</th></tr></thead><tbody>${p.launches
    .map((l) => `<tr><td>${e(zonedMinute(l.createdAt, zone))}</td><td>${e(l.jobId)}</td><td>${l.kind}</td><td class="${statusClass(l.status)}">${e(l.status)}</td><td>${l.servers.map((s) => `${e(host.get(s.id) ?? s.id)}: ${e(s.launchStatus)}; ${e(s.postLaunch)}`).join('<br>')}</td></tr>`)
    .join('') || '<tr><td colspan="5" class="meta">none</td></tr>'}</tbody></table>
<h2 id="holds">Holds and why</h2>
<table aria-label="holds"><thead><tr><th>server</th><th>why</th><th>from</th><th>until</th></tr></thead><tbody>${p.holds
    .map((h) => `<tr><td>${e(host.get(h.serverId) ?? h.serverId)}</td><td>${e(h.reason)}</td><td>${e(zonedMinute(h.from, zone))}</td><td>${h.until ? e(zonedMinute(h.until, zone)) : '-'}</td></tr>`)
    .join('') || '<tr><td colspan="4" class="meta">none: no server waited for a freeze, the cutover window or readiness</td></tr>'}</tbody></table>
<h2 id="outcome">Outcome per server</h2>
<table aria-label="outcome"><thead><tr><th>application</th><th>server</th><th>outcome</th><th>attempt</th><th>MGN now</th><th>why</th></tr></thead><tbody>${p.servers
    .map((s) => `<tr><td>${e(s.application)}</td><td>${e(s.hostname ?? s.id)}<br><span class="meta">${e(s.id)}</span></td><td class="${statusClass(s.outcome?.status ?? '')}">${e(s.outcome?.status ?? 'NOT_STARTED')}</td><td>${s.outcome?.attempt ?? '-'}</td><td>${s.lifeCycle ? `${e(s.lifeCycle)}${s.archived ? ' (archived)' : ''}` : '-'}</td><td>${s.outcome?.error ? `${e(s.outcome.error)}${s.outcome.cause ? `: ${e(s.outcome.cause.slice(0, 300))}` : ''}` : '-'}</td></tr>`)
    .join('')}</tbody></table>
<p class="meta">Refused requests to the approval pages in this wave: ${p.refusals.reduce((n, r) => n + r.count, 0)}${p.refusals.length ? ` (${p.refusals.map((r) => `${r.count} x ${r.status}`).join(', ')})` : ''}.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>Evidence pack: wave ${e(p.wave.name)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}
