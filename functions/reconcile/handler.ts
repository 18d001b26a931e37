import { z } from 'zod';
import { reconcileLaunchPoints } from '../../src/core/launch.ts';
import { reconcile } from '../../src/core/waits.ts';
import { deps, handle } from '../_lib/runtime.ts';

/** On a schedule: resolve the waits events missed, and make the launches whose arrival timeout passed. */
export const handler = handle('reconcile', z.unknown(), async () => ({ waits: await reconcile(deps()), launchPoints: await reconcileLaunchPoints(deps()) }));
