import { type Checked, FREE_REPLICATION_DAYS, type GateEvidence, type Refusal, deadlineSentence } from './approvals.ts';
import { deadlineText, tallyText, zonedMinute } from './gates.ts';
import { LIMITS } from './contracts.ts';
import { type GateKind, gateWords } from './lifecycle.ts';
import { minuteIn } from './zoned-time.ts';
import type { AuditEntry, Decision, Gate } from '../ports.ts';
import { visibleLines } from './text.ts';

/**
 * The approval pages: plain HTML, no script, no external resource (the CSP forbids both), every value
 * escaped. The confirmation page shows the evidence and a form whose POST is the only thing that decides.
 */

/** Headers of every approval response: nothing cached, nothing framed, the link never sent on as a Referer. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // HTTPS only, for a year, on this host and below (the pages are only ever served by the HTTPS API)
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/** Text as HTML: markup escaped, and control or reordering characters shown as visible escapes (line breaks kept). */
export function escapeHtml(s: string): string {
  return visibleLines(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#16191f}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #d5dbdb;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f2f3f3}.warn{background:#fff7e6;border:2px solid #e07941;padding:.75rem 1rem;margin:1rem 0}.danger{background:#fdf3f1;border:2px solid #d13212;padding:.75rem 1rem;margin:1rem 0;font-weight:600}
.missing td{background:#fdf3f1}.ok{color:#1d8102}.bad{color:#d13212}label{display:block;margin:.5rem 0}input[type=text],textarea{width:100%;max-width:32rem;padding:.35rem;font:inherit}
button{font:inherit;padding:.5rem 1.2rem;margin:.5rem .5rem 0 0;border-radius:4px;border:1px solid #545b64;background:#fff;cursor:pointer}button.primary{background:#ec7211;border-color:#ec7211;color:#fff}
.problems{background:#fdf3f1;border-left:4px solid #d13212;padding:.5rem 1rem}.meta{color:#545b64}
input[type=text],textarea{box-sizing:border-box}p,li,h1,h2,label{overflow-wrap:anywhere}td{overflow-wrap:break-word}h2 .meta{font-size:.85rem;font-weight:400}
@media (max-width:40rem){body{margin:1rem auto;font-size:16px}table{display:block;overflow-x:auto;-webkit-overflow-scrolling:touch}th,td{font-size:.85rem;min-width:6rem}button{width:100%;margin:.5rem 0 0;padding:.75rem}input[type=text],textarea{max-width:none;font-size:16px}}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

const BUTTON_LABELS: Record<Decision, string> = { approve: 'Approve', reject: 'Reject', retry: 'Retry', rollback: 'Roll back', stop: 'Stop' };

function evidenceTable(ev: GateEvidence): string {
  const rows = ev.servers
    .map((s) => {
      const repl = `${s.replication.state}${s.replication.lagSeconds !== null ? `, lag ${s.replication.lagSeconds} s` : ''}, backlog ${s.replication.backlogBytes} B${s.replication.stalled ? `, <span class="bad">stalled${s.replication.error ? ` (${escapeHtml(s.replication.error)})` : ''}</span>` : ''}${s.stalls ? `<br><span class="meta">history: ${escapeHtml(s.stalls)}</span>` : ''}`;
      const launch = [s.test ? `test: ${escapeHtml(s.test.launch)}; post-launch ${escapeHtml(s.test.postLaunch)}` : '', s.cutover ? `cutover: ${escapeHtml(s.cutover.launch)}; post-launch ${escapeHtml(s.cutover.postLaunch)}` : '']
        .filter(Boolean)
        .join('<br>');
      return `<tr${s.atGate || s.movedOn ? '' : ' class="missing"'}><td>${escapeHtml(s.hostname ?? s.id)}<br><span class="meta">${escapeHtml(s.id)}</span></td><td>${escapeHtml(s.lifeCycle)}</td><td>${repl}</td><td>${launch || '-'}</td><td>${s.testInstanceHours ?? '-'}</td><td>${s.freeReplicationDaysLeft ?? '-'}</td><td>${s.atGate ? '<span class="ok">at the gate</span>' : s.movedOn ? 'already past this gate' : '<span class="bad">missing or failed</span>'}</td></tr>`;
    })
    .join('');
  return `<table aria-label="evidence"><thead><tr><th>server</th><th>MGN state</th><th>replication</th><th>launch and post-launch actions</th><th>test instance h</th><th>free replication days left (of ${FREE_REPLICATION_DAYS})</th><th>status</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export interface ConfirmationView {
  checked: Checked;
  evidence: GateEvidence;
  /** The link's signature, carried in the form (the POST needs it). */
  sig: string;
  problems?: string[];
  /** What the approver typed, shown again after a problem. */
  form?: { name?: string; comment?: string; changeRef?: string };
  /** Now (the clock of the deployment), to tell whether the cutover window has closed. */
  now?: number;
}

/**
 * The choice the page highlights: approve, or retry at a failure gate, unless the cutover window has closed:
 * a retry would then end at the closed window, so rolling back is the one that helps.
 */
export function primaryChoice(choices: readonly Decision[], gate: { gate: GateKind; window?: { end: string } | null }, now: number): Decision | undefined {
  if (gateWords(gate.gate).failure?.launch === 'CUTOVER' && gate.window && now >= Date.parse(gate.window.end) && choices.includes('rollback')) return 'rollback';
  return choices.find((c) => c === 'approve' || c === 'retry');
}

/** The page a link opens: what is decided, the evidence, the choices the link allows, name and comment. */
export function confirmationPage(v: ConfirmationView): string {
  const { gate, link } = v.checked;
  const ev = v.evidence;
  const words = gateWords(gate.gate);
  const finalize = words.pointOfNoReturn === true;
  const go = words.approveLaunches !== undefined;
  const missing = ev.missing.length
    ? `<div class="warn"><strong>${ev.missing.length} server(s) of ${escapeHtml(gate.application)} are not at this gate (missing or failed).</strong> ${go ? 'To cut over without them, name each one:' : ''}${go ? ev.missing.map((s) => `<label><input type="checkbox" name="acceptMissing" value="${escapeHtml(s)}"> go ahead without ${escapeHtml(s)}</label>`).join('') : ` ${ev.missing.map(escapeHtml).join(', ')}`}</div>`
    : '';
  const now = v.now ?? Date.parse(ev.collectedAt);
  const primary = primaryChoice(link.choices, gate, now);
  const buttons = link.choices.map((c) => `<button type="submit" name="decision" value="${c}"${c === primary ? ' class="primary"' : ''}>${BUTTON_LABELS[c]}</button>`).join('');
  const windowClosed = words.failure?.launch === 'CUTOVER' && gate.window && now >= Date.parse(gate.window.end)
    ? `<div class="warn">The cutover window closed at ${escapeHtml(zonedMinute(gate.window.end, gate.timeZone))}: a retry would stop at the closed window. Roll back (the source keeps serving) and plan a new window.</div>`
    : '';
  const body = `
<h1>${escapeHtml(gateWords(gate.gate).title)}: ${escapeHtml(gate.application)}</h1>
<p class="meta">Wave ${escapeHtml(gate.wave)} · ${gate.servers.length} server(s) · decide by ${escapeHtml(deadlineText(gate))} · ${link.approver === '*' ? 'link for this gate' : `link for ${escapeHtml(link.approver)}`}</p>
<p class="deadline">${escapeHtml(deadlineSentence(gate))}</p>
${ev.unavailable ? `<div class="warn" role="status"><strong>Evidence unavailable.</strong> ${escapeHtml(ev.unavailable)}.</div>` : ''}
${windowClosed}
${finalize ? '<div class="danger">This is the point of no return. Finalizing stops replication and MGN deletes the staging resources: after it, the servers can no longer be launched again from MGN. The cutover instances stay.</div>' : ''}
<p>${escapeHtml(gateWords(gate.gate).question)}</p>
${v.problems?.length ? `<div class="problems" role="alert"><strong>Nothing was decided yet:</strong><ul>${v.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></div>` : ''}
<h2>Evidence <span class="meta">(${ev.unavailable ? 'MGN could not be read at' : 'read from MGN at'} ${escapeHtml(zonedMinute(ev.collectedAt, gate.timeZone))})</span></h2>
${evidenceTable(ev)}
${ev.soakElapsedHours !== undefined ? `<p>Soak elapsed: ${ev.soakElapsedHours} h (${(ev.soakElapsedHours / 24).toFixed(1)} days).</p>` : ''}
<p>Cutover window: ${ev.window ? `${escapeHtml(minuteIn(ev.window.start, gate.timeZone))} to ${escapeHtml(zonedMinute(ev.window.end, gate.timeZone))}` : 'none set (any time)'}.</p>
<form method="post" action="${escapeHtml(link.id)}">
<input type="hidden" name="sig" value="${escapeHtml(v.sig)}">
${missing}
${go ? '<label><input type="checkbox" name="quiesced" value="true"> The sources are quiesced (applications stopped, no more writes): required to approve</label>' : ''}
${finalize ? '<label><input type="checkbox" name="terminateInstances" value="true"> If I reject: also terminate the cutover instances (otherwise they are kept)</label>' : ''}
${gate.quorum ? `<div class="warn" role="status"><strong>${gate.quorum.needed} of ${gate.approvers?.length ?? 0} approvers must approve.</strong> ${escapeHtml(tallyText(gate))}.</div>` : ''}
${gate.changeRef ? `<label>Change id (required to approve; pattern <code>${escapeHtml(gate.changeRef)}</code>) <input type="text" name="changeRef" maxlength="${LIMITS.changeRefChars}" autocomplete="off" value="${escapeHtml(v.form?.changeRef ?? '')}"></label>` : ''}
<label>Your name (goes into the audit log) <input type="text" name="name" required maxlength="${LIMITS.typedNameChars}" autocomplete="name" value="${escapeHtml(v.form?.name ?? '')}"></label>
<label>Comment (optional) <textarea name="comment" rows="3" maxlength="${LIMITS.commentChars}">${escapeHtml(v.form?.comment ?? '')}</textarea></label>
${buttons}
</form>
<p class="meta">Opening this page decided nothing. The link works once and expires with the gate.</p>`;
  return page(`${gateWords(gate.gate).title}: ${gate.application}`, body);
}

/** The one body for forged, tampered, unknown and cross-gate links: it says nothing about the link. */
export const FORBIDDEN_PAGE = page('Link not valid', '<h1>This link is not valid</h1><p>Nothing was changed. If you expected to decide here, use the latest message you received, or ask the migration team for a new request.</p>');

/** A dependency failed while answering: nothing was decided; the link still works. */
export const UNAVAILABLE_PAGE = page('Try again in a minute', '<h1>This page could not be loaded right now</h1><p>A service it depends on did not answer. Nothing was decided and your link still works: reload the page in a minute.</p>');

export function refusalPage(r: Refusal): string {
  if (r.status === 403) return FORBIDDEN_PAGE;
  if (r.status === 409) return page('Already decided', `<h1>Already decided</h1><p>This gate was decided: <strong>${escapeHtml(r.decision)}</strong> by ${escapeHtml(r.by)} at ${escapeHtml(r.at)}. Nothing was changed.</p>`);
  return page('Expired', `<h1>This request no longer takes a decision</h1><p>The decision was due by ${escapeHtml(r.deadline)}: ${escapeHtml(r.reason)}. Nothing was changed.</p>`);
}

export function decidedPage(gate: Gate, entry: AuditEntry): string {
  const q = entry.quorum;
  if (q && !q.decided) {
    return page(
      'Decision recorded',
      `<h1>Your decision is recorded: ${escapeHtml(entry.decision)}</h1><p>${escapeHtml(gateWords(gate.gate).title)} for ${escapeHtml(gate.application)} (wave ${escapeHtml(gate.wave)}), by ${escapeHtml(entry.by)} at ${escapeHtml(entry.at)}${entry.changeRef ? `, change ${escapeHtml(entry.changeRef)}` : ''}.</p><p class="quorum">${q.approvals} of ${q.of} approved so far; the gate decides when ${q.needed} approve${gate.quorum && gate.quorum.rejects > 1 ? ` or ${gate.quorum.rejects} reject` : ' or one rejects'}. Nothing moves on yet.</p><p class="meta">This link is now used. The decision is in the audit log.</p>`,
    );
  }
  return page(
    'Decision recorded',
    `<h1>Decision recorded: ${escapeHtml(entry.decision)}</h1><p>${escapeHtml(gateWords(gate.gate).title)} for ${escapeHtml(gate.application)} (wave ${escapeHtml(gate.wave)}), by ${escapeHtml(entry.by)} at ${escapeHtml(entry.at)}${entry.changeRef ? `, change ${escapeHtml(entry.changeRef)}` : ''}.</p>${q ? `<p class="quorum">The gate decided: ${q.approvals} of ${q.of} approved, ${q.rejections} rejected (${q.needed} needed).</p>` : ''}<p>${entry.released.length} server(s) move on: ${entry.released.map(escapeHtml).join(', ') || 'none parked yet; they follow the decision as they arrive'}.</p><p class="meta">This link is now used. The decision is in the audit log.</p>`,
  );
}
