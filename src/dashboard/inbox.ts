import type { GateStore, WaitStore } from '../ports.ts';
import { shellQuote, visible } from '../core/text.ts';
import { tallyText } from '../core/gates.ts';

/**
 * The approvals inbox: the gates waiting for a decision, soonest deadline first, with who is asked and how
 * many of the application's servers are at the gate. No link is shown (links are the approvers' own).
 */
export function gateInbox(stores: { gates: Pick<GateStore, 'listOpen'>; waits: Pick<WaitStore, 'list'> }): () => Promise<unknown[]> {
  return async () => {
    const [gates, waits] = await Promise.all([stores.gates.listOpen(), stores.waits.list({ consistent: false })]);
    return gates
      .sort((a, b) => a.deadline.localeCompare(b.deadline))
      .map((g) => {
        const parked = waits.filter((w) => w.condition.kind === 'GATE' && w.condition.gateId === g.id).length;
        // names reach the page as text (textContent), shown visibly (no control or reordering character); the
        // suggested command quotes the gate id as one shell word, so a name with a quote cannot break out
        return {
          id: visible(g.id),
          title: visible(`${g.gate} for ${g.application}`),
          approvers: g.approvers?.length ? g.approvers.map(visible) : ['approvals topic'],
          deadline: g.deadline,
          openedAt: g.openedAt,
          summary: `wave ${visible(g.wave)}: ${parked} of ${g.servers.length} server(s) at the gate; choices ${g.allowed.join(', ')}.${g.quorum ? ` ${visible(tallyText(g))}.` : ''}${g.changeRef ? ` Approving needs a change id (${visible(g.changeRef)}).` : ''} From a terminal: mgn-flow approvals ${g.allowed.includes('approve') ? 'approve' : 'decide'} ${shellQuote(g.id)}`,
        };
      });
  };
}
