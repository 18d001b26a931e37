import { ServerInput } from '../../src/core/contracts.ts';
import { archiveServer } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

export const handler = handle({ name: 'archiveServer', uses: ['mgn.describeServers', 'mgn.markAsArchived'] }, ServerInput, (i, d) => archiveServer(d, i.serverId));
