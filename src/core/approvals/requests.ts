/** The requests people get: one per gate with a link each, reminders before the deadline, the escalation to ops. */

import { gateWords } from '../lifecycle.ts';
import { type OnceMarker, onceOrGiveBack } from '../once.ts';
import { closesWithWindow, tallyText, deadlineText, expireGate, expiredReason, missingAt, zonedMinute } from '../gates.ts';
import { minuteIn } from '../zoned-time.ts';
import type { Gate } from '../../ports.ts';
import type { ApprovalDeps } from './deps.ts';
import { issueLinks, openLinkUrls } from './links.ts';
import { FREE_REPLICATION_DAYS, type GateEvidence, gatherEvidence, hours } from './evidence.ts';

// ------------------------------------------------------------------------------- requests, reminders

const fmtBytes = (b: number) => (b < 1024 ? `${b} B` : b < 1024 ** 2 ? `${(b / 1024).toFixed(1)} KiB` : b < 1024 ** 3 ? `${(b / 1024 ** 2).toFixed(1)} MiB` : `${(b / 1024 ** 3).toFixed(1)} GiB`);

/** The evidence as text; times in the wave's zone (`timeZone`, else UTC) to the minute. */
export function evidenceLines(ev: GateEvidence, timeZone?: string): string[] {
  const lines = ev.servers.map((s) => {
    const parts = [
      `${s.hostname ?? s.id} (${s.id}): ${s.lifeCycle}`,
      `replication ${s.replication.state}${s.replication.lagSeconds !== null ? `, lag ${s.replication.lagSeconds} s` : ''}, backlog ${fmtBytes(s.replication.backlogBytes)}${s.replication.stalled ? `, STALLED${s.replication.error ? ` (${s.replication.error})` : ''}` : ', not stalled'}`,
      ...(s.test ? [`test launch ${s.test.launch}, post-launch actions ${s.test.postLaunch}`] : []),
      ...(s.cutover ? [`cutover launch ${s.cutover.launch}, post-launch actions ${s.cutover.postLaunch}`] : []),
      ...(s.testInstanceHours !== undefined ? [`test instance running ${s.testInstanceHours} h`] : []),
      ...(s.freeReplicationDaysLeft !== undefined ? [`${s.freeReplicationDaysLeft} of ${FREE_REPLICATION_DAYS} free replication days left`] : []),
      ...(s.stalls ? [`replication history: ${s.stalls}`] : []),
    ];
    return `  - ${parts.join('; ')}`;
  });
  return [
    ...lines,
    ...(ev.soakElapsedHours !== undefined ? [`Soak elapsed: ${ev.soakElapsedHours} h (${(ev.soakElapsedHours / 24).toFixed(1)} days).`] : []),
    `Cutover window: ${ev.window ? `${minuteIn(ev.window.start, timeZone)} to ${zonedMinute(ev.window.end, timeZone)}` : 'none set (any time)'}.`,
    ...(ev.unavailable ? [`Evidence unavailable: ${ev.unavailable}.`] : []),
  ];
}

/** Until when the gate decides, and what happens then: one sentence for the request, the reminders and the page. */
export function deadlineSentence(gate: Gate): string {
  return closesWithWindow(gate)
    ? `Decide by ${deadlineText(gate)}, the end of the cutover window: the go/no-go closes then and without a go-ahead the servers take the safe path (no cutover).`
    : `Decide by ${deadlineText(gate)}. Without a decision by then the servers take the safe path (no cutover, no finalize).`;
}

function requestText(gate: Gate, ev: GateEvidence, link: { approver: string; url: string }, intro: string): string {
  return [
    intro,
    '',
    `Gate: ${gateWords(gate.gate).title} (${gate.gate})`,
    `Wave: ${gate.wave}`,
    `Application: ${gate.application} (${gate.servers.length} server${gate.servers.length === 1 ? '' : 's'})`,
    deadlineSentence(gate),
    '',
    gateWords(gate.gate).question,
    '',
    `Evidence as of ${zonedMinute(ev.collectedAt, gate.timeZone)}:`,
    ...evidenceLines(ev, gate.timeZone),
    '',
    `Choices: ${gate.allowed.join(', ')}.`,
    ...(gate.quorum ? [`This gate needs ${gate.quorum.needed} of ${gate.approvers?.length ?? 0} approvals; ${gate.quorum.rejects > 1 ? `${gate.quorum.rejects} rejections decide reject` : 'one rejection decides reject'}. So far: ${tallyText(gate)}.`] : []),
    ...(gate.changeRef ? [`Approving needs the change id (pattern ${gate.changeRef}).`] : []),
    'Open this link to see the evidence again and decide (opening it decides nothing; you confirm on the page):',
    `  ${link.url}`,
    '',
    link.approver === '*'
      ? 'The link works once and expires with the gate. Do not forward it: whoever holds it can decide.'
      : `This link is for ${link.approver} alone, works once and expires with the gate. Do not forward it.`,
  ].join('\n');
}

/** The request for a gate just opened: its links, one message per approver (SNS filter policies route them). */
export async function requestDecision(deps: ApprovalDeps, gate: Gate): Promise<{ messages: number }> {
  const links = await issueLinks(deps, gate);
  const ev = await gatherEvidence(deps, gate);
  for (const l of links) {
    await deps.approvals.approval({
      subject: `Decision needed: ${gate.gate} for ${gate.application}`,
      text: requestText(gate, ev, l, `mgn-flow asks you to decide: ${gateWords(gate.gate).title} for ${gate.application}.`),
      key: `request#${gate.id}#${l.approver}`,
      approver: l.approver === '*' ? 'any' : l.approver,
      attributes: { gateId: gate.id, gate: gate.gate, application: gate.application, wave: gate.wave, kind: 'request' },
    });
  }
  return { messages: links.length };
}

/**
 * Make sure an open gate's request went out exactly once: every arrival calls it, the first one sends (a
 * marker guards it; a send that fails gives the marker back, so the next arrival or retry sends it).
 */
export async function ensureRequested(deps: ApprovalDeps & { dedupe: OnceMarker }, given: Gate, opts: { force?: boolean } = {}): Promise<boolean> {
  if (!stillOpen(deps, given)) return false;
  // read again: a gate decided or expired a moment ago (a listing is not always current) is never asked again
  const gate = await deps.gates.get(given.id);
  if (!gate || !stillOpen(deps, gate)) return false;
  // one request for the application once all its servers are at the gate (or, from the reconciler, once the
  // arrival time passed: the request then names the missing ones), so a decision never races an arrival
  if (!opts.force && gate.servers.length > 1 && (await missingAt(deps, gate)).length > 0) return false;
  const key = `request#${gate.id}`;
  const ttl = Math.max(3600, Math.ceil((Date.parse(gate.deadline) - deps.clock.now().getTime()) / 1000) + 86400);
  return onceOrGiveBack(deps, key, ttl, async () => {
    await requestDecision(deps, gate);
  });
}

/** Open and before its deadline: a request or a reminder may go out. */
function stillOpen(deps: Pick<ApprovalDeps, 'clock'>, gate: Gate): boolean {
  return gate.status === 'OPEN' && deps.clock.now().getTime() < Date.parse(gate.deadline);
}

/** How long a gate waits for all its servers before the request goes out without them: an hour, or a quarter of the gate's time when shorter. */
export function arrivalMs(gate: Gate): number {
  return Math.min(3_600_000, (Date.parse(gate.deadline) - Date.parse(gate.openedAt)) / 4);
}

export const REMINDER_MARKS = [0.5, 0.9] as const;

/**
 * For the reconciler: reminders at 50% and 90% of each open gate's decision time (counted from when the
 * decision is due, e.g. the end of the soak), escalation to ops at 90%, and a gate past its deadline marked
 * expired (its servers' callbacks time out into the safe path; its links answer 410).
 */
export async function remindOpenGates(deps: ApprovalDeps & { onceKey(key: string, ttlSeconds: number): Promise<boolean>; dedupe: OnceMarker }): Promise<{ reminded: number; escalated: number; expired: number }> {
  const now = deps.clock.now().getTime();
  let reminded = 0;
  let escalated = 0;
  let expired = 0;
  for (const listed of await deps.gates.listOpen()) {
    // the listing may be a moment old (decided, expired or rescheduled since): the gate as it is now
    const gate = await deps.gates.get(listed.id);
    if (!gate || gate.status !== 'OPEN') continue;
    const deadline = Date.parse(gate.deadline);
    const from = Date.parse(gate.decisionFrom ?? gate.openedAt);
    // servers still missing after the arrival time: the request goes out now, naming them
    if (now >= Date.parse(gate.openedAt) + arrivalMs(gate) && now < deadline) await ensureRequested(deps, gate, { force: true });
    // a failure gate whose last members' launches succeeded (they will not come): the request goes out now
    else if (gate.job && now < deadline) await ensureRequested(deps, gate);
    if (now >= deadline) {
      if ((await expireGate(deps, gate)).expired) {
        expired++;
        await deps.notifier.ops({
          subject: `Gate expired: ${gate.gate} for ${gate.application}`,
          text: `${gateWords(gate.gate).title} for ${gate.application} (wave ${gate.wave}) no longer takes a decision: ${expiredReason(gate)}. Its links no longer work.`,
          key: `gate-expired#${gate.id}`,
          attributes: { gateId: gate.id, gate: gate.gate, application: gate.application, wave: gate.wave, kind: 'expired' },
        });
      }
      continue;
    }
    // the highest mark passed: a reconciler that missed 50% sends only the 90% one
    const mark = [...REMINDER_MARKS].reverse().find((m) => now >= from + m * (deadline - from));
    // once per mark and deadline: a deadline moved (soak extended) counts its marks again
    if (mark === undefined || !(await deps.onceKey(`remind#${gate.id}#${gate.deadline}#${mark}`, Math.ceil((deadline - now) / 1000) + 86400))) continue;
    const pct = Math.round(mark * 100);
    const left = hours(deadline - now);
    const ev = await gatherEvidence(deps, gate);
    for (const l of await openLinkUrls(deps, gate)) {
      await deps.approvals.approval({
        subject: `Reminder (${pct}% of the time gone): ${gate.gate} for ${gate.application}`,
        text: requestText(gate, ev, l, `Reminder: ${gateWords(gate.gate).title} for ${gate.application} still waits for a decision; ${left} h left.`),
        key: `remind#${gate.id}#${mark}#${l.approver}`,
        approver: l.approver === '*' ? 'any' : l.approver,
        attributes: { gateId: gate.id, gate: gate.gate, application: gate.application, wave: gate.wave, kind: `reminder-${pct}` },
      });
      reminded++;
    }
    if (mark === 0.9) {
      escalated++;
      await deps.notifier.ops({
        subject: `Escalation: ${gate.gate} for ${gate.application} undecided, ${left} h left`,
        text: `${gateWords(gate.gate).title} for ${gate.application} (wave ${gate.wave}) has no decision and expires at ${deadlineText(gate)}; then its servers take the safe path. Asked: ${(gate.approvers ?? []).join(', ') || 'the approvals topic'}. Decide with: mgn-flow approvals list`,
        key: `escalate#${gate.id}`,
        attributes: { gateId: gate.id, gate: gate.gate, application: gate.application, wave: gate.wave, kind: 'escalation' },
      });
    }
  }
  return { reminded, escalated, expired };
}
