import type { AuditEntry, AuditLog, RefusalCount } from '../ports.ts';
import { visible } from './text.ts';

/**
 * The approvals audit as a change board reads it (`mgn-flow approvals audit`): every decision with who was asked
 * (approver) and who typed their name, apart; the refused requests, counted. JSON, CSV or lines.
 */

export interface AuditReport {
  wave?: string;
  decisions: AuditEntry[];
  refusals: RefusalCount[];
}

export async function auditReport(deps: { audit: Pick<AuditLog, 'list' | 'refusals'> }, filter: { wave?: string } = {}): Promise<AuditReport> {
  const [entries, refusals] = await Promise.all([deps.audit.list(), deps.audit.refusals()]);
  const inWave = <T extends { wave: string }>(x: T) => !filter.wave || x.wave === filter.wave;
  return {
    ...(filter.wave ? { wave: filter.wave } : {}),
    decisions: entries.filter(inWave).sort((a, b) => a.at.localeCompare(b.at) || a.gateId.localeCompare(b.gateId)),
    refusals: refusals.filter(inWave).sort((a, b) => a.wave.localeCompare(b.wave) || a.gateId.localeCompare(b.gateId) || a.status - b.status),
  };
}

export const AUDIT_CSV_COLUMNS = ['at', 'wave', 'application', 'gate', 'gateId', 'decision', 'approver', 'name', 'changeRef', 'comment', 'quorum', 'channel', 'linkId', 'sourceIp', 'userAgent', 'quiesced', 'acceptMissing', 'terminateInstances', 'released'] as const;

/**
 * One CSV field (RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled). A field a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe (OWASP's advice for
 * CSV injection); control characters are shown escaped.
 */
export function csvField(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  const shown = visible(safe.replace(/\r?\n/g, ' '));
  return /[",]/.test(shown) ? `"${shown.replace(/"/g, '""')}"` : shown;
}

function quorumText(q: AuditEntry['quorum']): string {
  return q ? `${q.approvals} approve, ${q.rejections} reject of ${q.of} (quorum ${q.needed})${q.decided ? ', decided' : ''}` : '';
}

/** The decisions as CSV, one header line: what a change record attaches. */
export function auditCsv(report: AuditReport): string {
  const rows = report.decisions.map((e) =>
    [
      e.at,
      e.wave,
      e.application,
      e.gate,
      e.gateId,
      e.decision,
      e.approver ?? e.by,
      e.name ?? e.by,
      e.changeRef ?? '',
      e.comment ?? '',
      quorumText(e.quorum),
      e.channel,
      e.linkId ?? '',
      e.sourceIp ?? '',
      e.userAgent ?? '',
      e.quiesced === undefined ? '' : String(e.quiesced),
      (e.acceptMissing ?? []).join(' '),
      e.terminateInstances === undefined ? '' : String(e.terminateInstances),
      e.released.join(' '),
    ].map(csvField).join(','),
  );
  return `${[AUDIT_CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}

/** The audit for a terminal: one line per decision, then the refusals; every name shown escaped. */
export function auditLines(report: AuditReport): string[] {
  const lines = report.decisions.map((e) => {
    const parts = [
      `${e.at}  ${visible(e.wave)}  ${visible(e.application)}  ${e.gate}: ${e.decision}`,
      `approver ${visible(e.approver ?? e.by)}, name ${visible(e.name ?? e.by)}`,
      `via ${e.channel}${e.linkId ? ` (link ${e.linkId})` : ''}`,
      ...(e.changeRef ? [`change ${visible(e.changeRef)}`] : []),
      ...(e.quorum ? [quorumText(e.quorum)] : []),
      ...(e.quiesced !== undefined ? [`quiesced ${e.quiesced}`] : []),
      ...(e.acceptMissing?.length ? [`without ${e.acceptMissing.join(', ')}`] : []),
      ...(e.terminateInstances !== undefined ? [`terminate instances ${e.terminateInstances}`] : []),
      `released ${e.released.length}`,
      ...(e.comment ? [`comment "${visible(e.comment)}"`] : []),
    ];
    return parts.join('; ');
  });
  if (lines.length === 0) lines.push(`no decision recorded${report.wave ? ` in wave ${visible(report.wave)}` : ''}`);
  const refused = report.refusals.reduce((n, r) => n + r.count, 0);
  lines.push(refused === 0 ? 'refused requests: none' : `refused requests: ${refused}`);
  for (const r of report.refusals) lines.push(`  ${r.status} x${r.count}  ${r.gateId === '-' ? 'no gate (forged, tampered or unknown link)' : visible(r.gateId)}  ${r.firstAt} .. ${r.lastAt}`);
  return lines;
}
