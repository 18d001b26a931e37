import { WindowInput } from '../../src/core/contracts.ts';
import { checkCutoverWindow } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

/**
 * Is now inside the cutover window and outside every freeze? A freeze holds the server until it ends; the
 * hold is recorded for the wave report.
 */
export const handler = handle({ name: 'checkCutoverWindow', uses: ['clock', 'waves'] }, WindowInput, async (i, d) => {
  const r = checkCutoverWindow(d.clock.now(), i.window, i.freeze);
  if (r.frozenUntil && i.wave && i.serverId) {
    const reason = `cutover held by the freeze${r.freezeReason ? ` "${r.freezeReason}"` : ''}`;
    await d.waves.recordHold({ wave: i.wave, serverId: i.serverId, reason, from: d.clock.now().toISOString(), until: r.frozenUntil });
  }
  return r;
});
