import {
  ArchiveApplicationCommand,
  ArchiveWaveCommand,
  AssociateApplicationsCommand,
  AssociateSourceServersCommand,
  CreateApplicationCommand,
  CreateWaveCommand,
  DisassociateApplicationsCommand,
  DisassociateSourceServersCommand,
  type MgnClient,
  TagResourceCommand,
  UnarchiveApplicationCommand,
  UnarchiveWaveCommand,
  paginateDescribeSourceServers,
  paginateListApplications,
  paginateListWaves,
} from '@aws-sdk/client-mgn';
import type { MgnPlanItem, MgnPlanPort } from '../../ports.ts';
import { MGN_IDS_PER_CALL, MgnResponseError } from './mgn.ts';
import { withDomainErrors } from './errors.ts';

function item(x: { waveID?: string; applicationID?: string; arn?: string; name?: string; isArchived?: boolean }, kind: string): MgnPlanItem {
  const id = x.applicationID ?? x.waveID;
  if (!id || !x.arn || !x.name) throw new MgnResponseError(`MGN sent a ${kind} without its id, arn or name`);
  return { id, arn: x.arn, name: x.name, isArchived: x.isArchived === true, ...(x.applicationID && x.waveID ? { waveId: x.waveID } : {}) };
}

/** MgnPlanPort on the MGN API: reads through the paginators, writes on the write client (retried on throttling only). */
export function createMgnPlanPort(client: MgnClient, write: MgnClient = client): MgnPlanPort {
  withDomainErrors(client, 'mgn');
  withDomainErrors(write, 'mgn');
  return {
    async listWaves() {
      const out: MgnPlanItem[] = [];
      for await (const page of paginateListWaves({ client }, { filters: {} })) for (const w of page.items ?? []) out.push(item({ ...w, applicationID: undefined }, 'wave'));
      return out;
    },
    async listApplications() {
      const out: MgnPlanItem[] = [];
      for await (const page of paginateListApplications({ client }, { filters: {} })) for (const a of page.items ?? []) out.push(item(a, 'application'));
      return out;
    },
    async createWave(name, description, tags) {
      return item(await write.send(new CreateWaveCommand({ name, description, tags })), 'wave');
    },
    async createApplication(name, description, tags) {
      return item(await write.send(new CreateApplicationCommand({ name, description, tags })), 'application');
    },
    async unarchiveWave(waveID) {
      await write.send(new UnarchiveWaveCommand({ waveID }));
    },
    async unarchiveApplication(applicationID) {
      await write.send(new UnarchiveApplicationCommand({ applicationID }));
    },
    async archiveWave(waveID) {
      await write.send(new ArchiveWaveCommand({ waveID }));
    },
    async archiveApplication(applicationID) {
      await write.send(new ArchiveApplicationCommand({ applicationID }));
    },
    async associateApplications(waveID, applicationIDs) {
      await write.send(new AssociateApplicationsCommand({ waveID, applicationIDs: [...applicationIDs] }));
    },
    async disassociateApplications(waveID, applicationIDs) {
      await write.send(new DisassociateApplicationsCommand({ waveID, applicationIDs: [...applicationIDs] }));
    },
    async associateServers(applicationID, sourceServerIDs) {
      await write.send(new AssociateSourceServersCommand({ applicationID, sourceServerIDs: [...sourceServerIDs] }));
    },
    async disassociateServers(applicationID, sourceServerIDs) {
      await write.send(new DisassociateSourceServersCommand({ applicationID, sourceServerIDs: [...sourceServerIDs] }));
    },
    async describeServers(ids) {
      const out: { id: string; arn: string; applicationId?: string; tags: Record<string, string> }[] = [];
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += MGN_IDS_PER_CALL) {
        for await (const page of paginateDescribeSourceServers({ client }, { filters: { sourceServerIDs: unique.slice(i, i + MGN_IDS_PER_CALL) } })) {
          for (const s of page.items ?? []) {
            if (!s.sourceServerID || !s.arn) throw new MgnResponseError('MGN sent a source server without its id or arn');
            out.push({ id: s.sourceServerID, arn: s.arn, ...(s.applicationID ? { applicationId: s.applicationID } : {}), tags: { ...s.tags } });
          }
        }
      }
      return out;
    },
    async tag(resourceArn, tags) {
      await write.send(new TagResourceCommand({ resourceArn, tags }));
    },
  };
}
