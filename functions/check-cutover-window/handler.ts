import { WindowInput } from '../../src/core/contracts.ts';
import { checkCutoverWindow } from '../../src/core/steps.ts';
import { deps, handle } from '../_lib/runtime.ts';

export const handler = handle('checkCutoverWindow', WindowInput, async (i) => checkCutoverWindow(deps().clock.now(), i.window));
