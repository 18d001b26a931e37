import { ServerInput } from '../../src/core/contracts.ts';
import { archiveServer } from '../../src/core/steps.ts';
import { deps, handle } from '../_lib/runtime.ts';

export const handler = handle('archiveServer', ServerInput, (i) => archiveServer(deps(), i.serverId));
