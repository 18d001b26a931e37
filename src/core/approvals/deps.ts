import { type GateDeps } from '../gates.ts';
import type { ApprovalNotifier, AuditLog, LinkStore, SigningKeys } from '../../ports.ts';
export type ApprovalDeps = GateDeps & {
  links: LinkStore;
  audit: AuditLog;
  keys: SigningKeys;
  approvals: ApprovalNotifier;
  /** Where the approval pages are served (the HTTP API's URL), without a trailing slash. */
  approvalBaseUrl: string;
};
