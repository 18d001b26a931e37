/** Signed approval links: one per (gate, approver), the choices signed into it, single-use, expiring with the gate. */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deadlineText, expiredReason } from '../gates.ts';
import type { ApprovalLink, Decision, Gate } from '../../ports.ts';
import type { ApprovalDeps } from './deps.ts';

// ------------------------------------------------------------------------------------------- links

const LINK_ID = /^[A-Za-z0-9_-]{22}$/;
const SIG = /^[A-Za-z0-9_-]{43}$/;

/** What the signature covers: everything the link allows, so changing any of it breaks the signature. */
function canonical(l: Pick<ApprovalLink, 'id' | 'gateId' | 'approver' | 'choices' | 'expiresAt' | 'keyVersion'>): string {
  return ['mgn-flow-approval-link-v1', l.id, l.gateId, l.approver, [...l.choices].sort().join(','), l.expiresAt, l.keyVersion].join('\n');
}

export function signLink(key: Buffer, l: Parameters<typeof canonical>[0]): string {
  return createHmac('sha256', key).update(canonical(l)).digest('base64url');
}

export function linkUrl(baseUrl: string, id: string, sig: string): string {
  return `${baseUrl}/approvals/${id}?sig=${sig}`;
}

/** Make the gate's links: one per approver the plan names, else one for the gate. */
export async function issueLinks(deps: ApprovalDeps, gate: Gate): Promise<{ approver: string; url: string; linkId: string }[]> {
  const { version, key } = await deps.keys.current();
  const approvers = gate.approvers && gate.approvers.length > 0 ? gate.approvers : ['*'];
  const out: { approver: string; url: string; linkId: string }[] = [];
  for (const approver of approvers) {
    const link = { id: randomBytes(16).toString('base64url'), gateId: gate.id, approver, choices: gate.allowed, expiresAt: gate.deadline, keyVersion: version };
    await deps.links.create(link);
    out.push({ approver, linkId: link.id, url: linkUrl(deps.approvalBaseUrl, link.id, signLink(key, link)) });
  }
  return out;
}

/** The open links of a gate with their URLs again (the signature is derived, never stored): for reminders. */
export async function openLinkUrls(deps: ApprovalDeps, gate: Gate): Promise<{ approver: string; url: string }[]> {
  const keys = new Map((await deps.keys.all()).map((k) => [k.version, k.key]));
  const out: { approver: string; url: string }[] = [];
  for (const l of await deps.links.forGate(gate.id)) {
    const key = keys.get(l.keyVersion);
    if (l.status === 'OPEN' && key) out.push({ approver: l.approver, url: linkUrl(deps.approvalBaseUrl, l.id, signLink(key, l)) });
  }
  return out.sort((a, b) => a.approver.localeCompare(b.approver));
}

export type Refusal =
  /** Forged, tampered, unknown, cross-gate: one body for all, so a refusal tells nothing. */
  | { status: 403 }
  | { status: 409; by: string; at: string; decision: Decision }
  /** Past the gate's deadline: until when it took a decision (in the wave's time zone) and why it no longer does. */
  | { status: 410; deadline: string; reason: string };

export type Checked = { status: 200; link: ApprovalLink; gate: Gate };

/** Verify a link: signature first (nothing is told about a link whose signature fails), then its state. */
export async function checkLink(deps: ApprovalDeps, id: string, sig: string): Promise<Checked | Refusal> {
  const forbidden = { status: 403 } as const;
  if (!LINK_ID.test(id) || !SIG.test(sig)) return forbidden;
  const link = await deps.links.get(id);
  const key = link ? (await deps.keys.all()).find((k) => k.version === link.keyVersion)?.key : undefined;
  // an unknown link still costs one HMAC, so timing does not tell unknown from forged
  // the signature's one canonical spelling is compared, character for character: decoding first would let the
  // last character's two unused low bits vary (four spellings of one signature, all accepted)
  const expected = Buffer.from(signLink(key ?? Buffer.alloc(32), link ?? { id, gateId: '', approver: '', choices: [], expiresAt: '', keyVersion: '' }), 'ascii');
  const given = Buffer.from(sig, 'ascii');
  if (!link || !key || given.length !== expected.length || !timingSafeEqual(given, expected)) return forbidden;
  const gate = await deps.gates.get(link.gateId);
  if (!gate) return forbidden;
  if (link.status === 'USED' && link.used) return { status: 409, ...link.used };
  if (gate.status === 'DECIDED' && gate.decision) return { status: 409, by: gate.decision.by, at: gate.decision.at, decision: gate.decision.decision };
  // a link expires with its gate: the gate's deadline (moved when a soak is extended) decides, not the one at issue
  if (gate.status === 'EXPIRED' || deps.clock.now().getTime() >= Date.parse(gate.deadline)) return expiredRefusal(gate);
  return { status: 200, link, gate };
}

export function expiredRefusal(gate: Gate): Refusal {
  return { status: 410, deadline: deadlineText(gate), reason: expiredReason(gate) };
}
