import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportFileError, importAccounts, importServerRefs, loadMgnImport, waveNameFor } from '../../src/core/mgn-import.ts';
import type { ServerView } from '../../src/ports.ts';
import { serverView } from '../helpers/fakes.ts';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/mgn-import');
const ID = (n: number) => `s-${String(n).padStart(17, '0')}`;
const servers: ServerView[] = [
  serverView(ID(0), { hostname: 'web-01' }),
  serverView(ID(1), { hostname: 'web-02', userProvidedId: 'upid-web-2' }),
  serverView(ID(2), { hostname: 'db-01', fqdn: 'host2.corp.example.com' }),
  serverView(ID(3), { hostname: 'bi-01' }),
];
const fixture = (name: string) => readFileSync(resolve(FIXTURES, name), 'utf8').replace('SERVER0', ID(0)).replace('SERVER3', ID(3)).replace('SERVER1', ID(1));
const ctx = { file: 'wave7.csv', servers, quotas: { replicatingServers: 300 } };

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ImportFileError) return err.errors;
    throw err;
  }
  throw new Error('no error');
}

describe('loadMgnImport', () => {
  it("reads MGN's import template into a wave: applications by mgn:app:name, servers by id, user-provided id or FQDN", () => {
    const wave = loadMgnImport(fixture('three-apps.csv'), ctx);
    expect(wave.name).toBe('Wave-7');
    expect(wave.source).toEqual({ kind: 'mgn-import', file: 'wave7.csv', name: 'Wave 7' });
    expect(wave.applications.map((a) => [a.name, a.standalone, a.servers.map((s) => s.id)])).toEqual([
      ['Web Shop', false, [ID(0), ID(1)]],
      ['billing-db', false, [ID(2)]],
      ['reports, nightly', false, [ID(3)]],
    ]);
    // mgn:launch:transfer-server-tags is MGN's copyTags
    expect(wave.applications[0]?.servers[0]?.launch).toEqual({ copyTags: true });
    expect(wave.applications[2]?.servers[0]?.launch).toEqual({ copyTags: false });
    // the EC2 launch template columns MGN's template has for the first network interface and the instance
    expect(wave.applications[0]?.servers[0]?.launchTemplate).toEqual({ instanceType: 'm6i.large', subnetId: 'subnet-0abc12345def67890', securityGroupIds: ['sg-0aaa1111bbbb2222c', 'sg-0ddd3333eeee4444f'], tags: { CostCenter: 'shop' } });
    expect(wave.applications[1]?.servers[0]?.launchTemplate).toBeUndefined();
  });

  it('refuses a broken file whole, every error as file:line:column: value: what is allowed', () => {
    expect(errorsOf(() => loadMgnImport(fixture('broken.csv'), ctx))).toEqual([
      'wave7.csv:1:5: "mgn:launch:placement:tenancy": an EC2 launch template field mgn-flow does not set (it sets mgn:launch:instance-type, nic:0:subnet-id, nic:0:security-group-id:N, nic:0:private-ip:0 and tag:instance:<key>); import the file in MGN\'s console for it, or remove the column',
      `wave7.csv:1:6: "mgn:server:colour": not a column of MGN's import template that mgn-flow reads; the columns are mgn:account-id, mgn:region, mgn:wave:name, mgn:wave:description, mgn:wave:id, mgn:app:name, mgn:app:description, mgn:app:id, mgn:server:id, mgn:server:user-provided-id, mgn:server:fqdn-for-action-framework, mgn:server:platform, mgn:launch:transfer-server-tags, mgn:launch:placement:operating-system-licensing and mgn:wave|app|server:tag:<key>`,
      'wave7.csv:2:3: "s-123": MGN\'s source server id: s- and 17 letters or digits',
      'wave7.csv:3:1: (empty): the name of the wave the server migrates in (mgn:wave:name)',
      'wave7.csv:3:4: "SOLARIS": LINUX or WINDOWS, or empty',
      'wave7.csv:4:3: (empty): the server: mgn:server:id, mgn:server:user-provided-id or mgn:server:fqdn-for-action-framework',
    ]);
  });

  it('points at the cell of a server MGN does not know, and of a server listed twice', () => {
    const text = `mgn:wave:name,mgn:app:name,mgn:server:user-provided-id,mgn:server:id\nw1,a,nobody,\nw1,b,,${ID(0)}\nw1,a,,${ID(0)}\n`;
    expect(errorsOf(() => loadMgnImport(text, ctx))).toEqual([
      'wave7.csv:2:3: "nobody": no source server in MGN has this user-provided id; give one DescribeSourceServers lists, or mgn:server:id',
      `wave7.csv:4:4: "${ID(0)}": this source server (${ID(0)}) is already in line 3 (application "b"); a server belongs to one application: keep one of the two`,
    ]);
  });

  it('says where CSV itself is broken (an unclosed quote), and asks to choose among several waves', () => {
    expect(errorsOf(() => loadMgnImport('mgn:wave:name,mgn:server:id\n"w1,x\n', ctx))[0]).toMatch(/^wave7\.csv:2:\d+: \(the row\): not CSV that MGN's import reads/);
    const two = `mgn:wave:name,mgn:server:id\nw1,${ID(0)}\nw2,${ID(1)}\n`;
    expect(errorsOf(() => loadMgnImport(two, ctx))).toEqual(['wave7.csv:3:1: "w2": the file lists 2 waves ("w1", "w2"); run one at a time with --wave-name <name>']);
    expect(loadMgnImport(two, { ...ctx, wave: 'w2' }).applications.map((a) => a.servers[0]?.id)).toEqual([ID(1)]);
  });

  it('refuses another Region than the one mgn-flow runs in, and a server in another account outside an application', () => {
    const text = `mgn:account-id,mgn:region,mgn:wave:name,mgn:server:id\n999988887777,eu-west-1,w1,${ID(0)}\n`;
    expect(errorsOf(() => loadMgnImport(text, { ...ctx, accountId: '111122223333', region: 'eu-central-1' }))).toEqual([
      'wave7.csv:2:2: "eu-west-1": the Region mgn-flow runs in (eu-central-1), or empty',
      'wave7.csv:2:1: "999988887777": a server in another account (999988887777) belongs to an application: give it mgn:app:name, or leave mgn:account-id empty',
    ]);
  });

  describe("mgn:account-id: applications in other accounts of MGN's global view", () => {
    const OTHER = '222233334444';
    const other = [serverView(ID(7), { hostname: 'erp-01', userProvidedId: 'upid-erp-1' }), serverView(ID(8), { hostname: 'erp-02' })];
    const accounts = { managed: ['111122223333', OTHER], servers: new Map([[OTHER, other]]) };
    const head = 'mgn:account-id,mgn:wave:name,mgn:app:name,mgn:server:id,mgn:server:user-provided-id';

    it("maps the column to the application's account (the home account's id or empty: the home account) and finds its servers there", () => {
      const text = `${head}\n111122223333,w1,shop,${ID(0)},\n${OTHER},w1,erp,,upid-erp-1\n${OTHER},w1,erp,${ID(8)},\n`;
      const wave = loadMgnImport(text, { ...ctx, accountId: '111122223333', accounts });
      expect(wave.applications.map((a) => [a.name, a.account, a.servers.map((s) => s.id)])).toEqual([
        ['shop', undefined, [ID(0)]],
        ['erp', OTHER, [ID(7), ID(8)]],
      ]);
      expect(importAccounts(text, '111122223333')).toEqual([OTHER]);
      // a rehearsal seeds each row's server in its account
      expect(importServerRefs(text)).toEqual([{ id: ID(0), account: '111122223333' }, { userProvidedId: 'upid-erp-1', account: OTHER }, { id: ID(8), account: OTHER }]);
    });

    it('refuses an application whose rows name two accounts, and an account MGN does not manage', () => {
      const mixed = `${head}\n${OTHER},w1,erp,${ID(7)},\n,w1,erp,${ID(0)},\n`;
      expect(errorsOf(() => loadMgnImport(mixed, { ...ctx, accounts }))).toEqual([
        `wave7.csv:3:4: "": the account of application "erp": ${OTHER} (line 2); an application's servers are in one account`,
      ]);
      const unmanaged = `${head}\n999988887777,w1,erp,${ID(7)},\n`;
      const [error] = errorsOf(() => loadMgnImport(unmanaged, { ...ctx, accounts }));
      expect(error).toMatch(/^wave7\.csv:2:1: "999988887777": application "erp" names account 999988887777, which MGN does not manage here/);
      expect(error).toContain("add the account to MGN's global view");
    });
  });

  it('names waves so that executions can start with them', () => {
    expect(waveNameFor('Wave 7 (EU)')).toBe('Wave-7-EU');
  });
});
