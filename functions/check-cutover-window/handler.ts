import { WindowInput } from '../../src/core/contracts.ts';
import { checkCutoverWindow } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

/** Is now inside the cutover window (and, when given the freeze calendar, outside every freeze)? */
export const handler = handle({ name: 'checkCutoverWindow', uses: ['clock'] }, WindowInput, async (i, d) => checkCutoverWindow(d.clock.now(), i.window, i.freeze));
