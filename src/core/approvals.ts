/**
 * Approvals people can trust (docs/adr, "Approvals"): one link per (gate, approver), the choices signed into
 * it, single-use, expiring with the gate; opening it changes nothing, only the POST decides; every decision is
 * in the audit log. The task token never leaves the wait store: a link names a link record, the record a
 * gate, the gate its parked servers.
 *
 * The approval experience, by concern: links (sign, issue, check), evidence (what a request shows), deciding
 * (a link's POST, the CLI), requests (messages, reminders, escalation). This module is their one entry.
 */
export type { ApprovalDeps } from './approvals/deps.ts';
export * from './approvals/links.ts';
export * from './approvals/evidence.ts';
export * from './approvals/deciding.ts';
export * from './approvals/requests.ts';
