import { ArriveAtLaunchPointInput } from '../../src/core/contracts.ts';
import { arriveAtLaunchPoint } from '../../src/core/launch.ts';
import { deps, handle } from '../_lib/runtime.ts';

/** An application's launch point: the last arrival makes the one StartTest / StartCutover. */
export const handler = handle('arriveAtLaunchPoint', ArriveAtLaunchPointInput, (i) => arriveAtLaunchPoint(deps(), i));
