import {
  ConflictException,
  CreateApplicationCommand,
  CreateWaveCommand,
  DeleteApplicationCommand,
  DeleteWaveCommand,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  GetLaunchConfigurationCommand,
  type GetLaunchConfigurationCommandInput,
  InitializeServiceCommand,
  InternalServerException,
  ListTagsForResourceCommand,
  ListWavesCommand,
  MgnServiceException,
  PutSourceServerActionCommand,
  RemoveSourceServerActionCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartCutoverCommand,
  StartImportCommand,
  StartTestCommand,
  TagResourceCommand,
  TerminateTargetInstancesCommand,
  ThrottlingException,
  UninitializedAccountException,
  UntagResourceCommand,
  ValidationException,
  paginateDescribeJobs,
  paginateDescribeSourceServers,
  paginateListWaves,
} from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { control, useEmulator } from '../../helpers/emulator.ts';

/** A well-formed source server id that no emulator seeds. */
const UNKNOWN_SERVER = 's-0123456789abcdef0';

/** Await a rejection and check its SDK exception class. */
async function rejects<E extends Error>(call: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect(err).toBeInstanceOf(MgnServiceException);
  return err as E;
}

/** POST a raw body to the MGN endpoint (bypassing the SDK serializers). */
async function raw(endpoint: string, path: string, body: string, method = 'POST') {
  const res = await fetch(`${endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as Record<string, unknown> };
}

interface LogicalCall {
  operation: string;
  attempts: number;
  status: number;
  errorType?: string;
  faults: string[];
}

async function logicalCalls(endpoint: string, operation: string): Promise<LogicalCall[]> {
  return (await control<{ calls: LogicalCall[] }>(endpoint, `/requests?logical=1&operation=${operation}`)).body.calls;
}

describe('MGN emulator wire protocol', () => {
  const start = useEmulator();

  describe('success responses', () => {
    it('returns the modeled 200, 201, 202 and 204 status codes with a request id', async () => {
      const { mgn, ids } = await start({ start: 'ready-for-test' });
      const [a, b, c] = (await ids()) as [string, string, string];

      const described = await mgn.send(new DescribeSourceServersCommand({}));
      expect(described.$metadata.httpStatusCode).toBe(200);
      expect(described.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);

      const wave = await mgn.send(new CreateWaveCommand({ name: 'wave-a' }));
      const app = await mgn.send(new CreateApplicationCommand({ name: 'app-a' }));
      expect([wave.$metadata.httpStatusCode, app.$metadata.httpStatusCode]).toEqual([201, 201]);

      const test = await mgn.send(new StartTestCommand({ sourceServerIDs: [a] }));
      const cutover = await mgn.send(new StartCutoverCommand({ sourceServerIDs: [b] }));
      const terminate = await mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [c] }));
      expect([test, cutover, terminate].map((r) => r.$metadata.httpStatusCode)).toEqual([202, 202, 202]);
      expect([test.job?.initiatedBy, cutover.job?.initiatedBy, terminate.job?.initiatedBy]).toEqual([
        'START_TEST',
        'START_CUTOVER',
        'TERMINATE',
      ]);

      await mgn.send(
        new PutSourceServerActionCommand({
          sourceServerID: a,
          actionID: 'act1',
          actionName: 'Smoke test',
          documentIdentifier: 'AWS-RunShellScript',
          order: 1001,
        }),
      );
      const deleted = [
        await mgn.send(new DeleteWaveCommand({ waveID: wave.waveID })),
        await mgn.send(new DeleteApplicationCommand({ applicationID: app.applicationID })),
        await mgn.send(new InitializeServiceCommand({})),
        await mgn.send(new RemoveSourceServerActionCommand({ sourceServerID: a, actionID: 'act1' })),
      ];
      expect(deleted.map((r) => r.$metadata.httpStatusCode)).toEqual([204, 204, 204, 204]);
      expect(deleted.every((r) => typeof r.$metadata.requestId === 'string')).toBe(true);
    });

    it('gives each response its own request id', async () => {
      const { mgn } = await start({ servers: 1 });
      const first = await mgn.send(new ListWavesCommand({}));
      const second = await mgn.send(new ListWavesCommand({}));
      expect(first.$metadata.requestId).not.toBe(second.$metadata.requestId);
    });
  });

  describe('modeled errors', () => {
    it('throws ValidationException with reason, code and fieldList when a member is out of range', async () => {
      const { mgn } = await start({ servers: 1 });
      const e = await rejects(mgn.send(new DescribeSourceServersCommand({ maxResults: 0 })), ValidationException);
      expect(e.$metadata.httpStatusCode).toBe(400);
      expect(e.reason).toBe('fieldValidationFailed');
      expect(e.code).toBe('INVALID_FIELD');
      expect(e.fieldList?.map((f) => f.name)).toEqual(['maxResults']);
      expect(e.fieldList?.[0]?.message).toBeTruthy();
    });

    it('throws ResourceNotFoundException with resourceId and resourceType when the server does not exist', async () => {
      const { mgn } = await start({ servers: 1 });
      const e = await rejects(mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: UNKNOWN_SERVER })), ResourceNotFoundException);
      expect(e.$metadata.httpStatusCode).toBe(404);
      expect(e).toMatchObject({ code: 'RESOURCE_NOT_FOUND', resourceId: UNKNOWN_SERVER, resourceType: 'SOURCE_SERVER' });
    });

    it('throws ConflictException with an errors[] entry per refused server when a launch names an unknown server', async () => {
      const { mgn, ids } = await start({ start: 'ready-for-test', servers: 2 });
      const [a] = (await ids()) as [string];
      for (const Command of [StartTestCommand, StartCutoverCommand, TerminateTargetInstancesCommand]) {
        const e = await rejects(mgn.send(new Command({ sourceServerIDs: [a, UNKNOWN_SERVER] })), ConflictException);
        expect(e.$metadata.httpStatusCode).toBe(409);
        expect(e).toMatchObject({ code: 'SOURCE_SERVER_NOT_FOUND', resourceId: UNKNOWN_SERVER, resourceType: 'SOURCE_SERVER' });
        expect(e.errors).toEqual([
          expect.objectContaining({ resourceId: UNKNOWN_SERVER, code: 'SOURCE_SERVER_NOT_FOUND', resourceType: 'SOURCE_SERVER' }),
        ]);
      }
      // nothing started: the known server is still free for a launch
      expect((await mgn.send(new DescribeJobsCommand({}))).items).toEqual([]);
    });

    it('throws ServiceQuotaExceededException with quotaCode, quotaValue and serviceCode when the wave quota is reached', async () => {
      const { mgn } = await start({ servers: 1, quotas: { maxActiveWaves: 1 } });
      await mgn.send(new CreateWaveCommand({ name: 'only' }));
      const e = await rejects(mgn.send(new CreateWaveCommand({ name: 'one too many' })), ServiceQuotaExceededException);
      expect(e.$metadata.httpStatusCode).toBe(402);
      expect(e).toMatchObject({ code: 'SERVICE_QUOTA_EXCEEDED', quotaCode: 'L-9FD6E875', quotaValue: 1, serviceCode: 'mgn' });
    });

    it('throws ThrottlingException and InternalServerException when every attempt is refused', async () => {
      const { emu, mgn } = await start({ servers: 1 }, { maxAttempts: 1 });
      await control(emu.endpoint, '/errors', { type: 'ThrottlingException' });
      const t = await rejects(mgn.send(new ListWavesCommand({})), ThrottlingException);
      expect(t.$metadata.httpStatusCode).toBe(429);
      expect(t.serviceCode).toBe('mgn');
      await control(emu.endpoint, '/errors', { type: 'InternalServerException' });
      const i = await rejects(mgn.send(new ListWavesCommand({})), InternalServerException);
      expect(i.$metadata.httpStatusCode).toBe(500);
      expect(i.$fault).toBe('server');
    });
  });

  describe('server-side validation', () => {
    it('refuses a missing required member, a bad id pattern and maxResults 0 or 5000', async () => {
      const { mgn } = await start({ servers: 1 });
      const missing = await rejects(
        mgn.send(new GetLaunchConfigurationCommand({} as GetLaunchConfigurationCommandInput)),
        ValidationException,
      );
      expect(missing.fieldList?.map((f) => f.name)).toEqual(['sourceServerID']);
      const badId = await rejects(mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: 'server-1' })), ValidationException);
      expect(badId.fieldList?.map((f) => f.name)).toEqual(['sourceServerID']);
      for (const maxResults of [0, 5000]) {
        const e = await rejects(mgn.send(new DescribeSourceServersCommand({ maxResults })), ValidationException);
        expect(e.fieldList?.map((f) => f.name)).toEqual(['maxResults']);
      }
    });

    it('refuses a list longer than its modeled maximum', async () => {
      const { mgn } = await start({ servers: 1 });
      const ids = Array.from({ length: 201 }, (_, i) => `s-${String(i).padStart(17, '0')}`);
      const e = await rejects(mgn.send(new StartTestCommand({ sourceServerIDs: ids })), ValidationException);
      expect(e.reason).toBe('fieldValidationFailed');
      expect(e.fieldList?.map((f) => f.name)).toEqual(['sourceServerIDs']);
      const f = await rejects(mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: ids } })), ValidationException);
      expect(f.fieldList?.map((x) => x.name)).toEqual(['filters.sourceServerIDs']);
    });

    it('answers JSON ValidationException with x-amzn-ErrorType for a wrong type, bad JSON and unknown routes', async () => {
      const { emu, ids } = await start({ servers: 1 });
      const cases = [
        { path: '/DescribeSourceServers', body: '{"maxResults":"ten"}', reason: 'fieldValidationFailed' },
        { path: '/DescribeSourceServers', body: '{"maxResults":', reason: 'cannotParse' },
        { path: '/DescribeSourceServers', body: '[1,2]', reason: 'cannotParse' },
        { path: '/NoSuchOp', body: '{}', reason: 'unknownOperation' },
        { path: '/', body: '{}', reason: 'unknownOperation' },
        { path: '/tags/arn%3Aaws%3Amgn%3Aus-east-1%3A111122223333%3Awave%2Fw', body: '{}', method: 'PUT', reason: 'unknownOperation' },
        { path: '/tags/%E0%A4%A', body: '', method: 'GET', reason: 'fieldValidationFailed' },
      ];
      for (const c of cases) {
        const res = await raw(emu.endpoint, c.path, c.body, c.method);
        expect(res.status, c.path).toBe(400);
        expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.headers.get('x-amzn-requestid')).toBeTruthy();
        expect(res.json).toMatchObject({ reason: c.reason, message: expect.any(String) });
      }
      const wrongType = await raw(emu.endpoint, '/DescribeSourceServers', '{"maxResults":"ten"}');
      expect(wrongType.json.fieldList).toEqual([expect.objectContaining({ name: 'maxResults' })]);
      // the server is still answering
      expect(await ids()).toHaveLength(1);
    });

    it('refuses an SDK operation the emulator does not emulate with a ValidationException', async () => {
      const { mgn, ids } = await start({ servers: 1 });
      const e = await rejects(
        mgn.send(new StartImportCommand({ s3BucketSource: { s3Bucket: 'bucket', s3Key: 'servers.csv' } })),
        ValidationException,
      );
      expect(e.reason).toBe('unknownOperation');
      expect(e.message).toMatch(/StartImport/);
      expect(await ids()).toHaveLength(1);
    });
  });

  describe('pagination', () => {
    it('returns all 25 servers once and in order through the paginator with pageSize 7', async () => {
      const { mgn, ids } = await start({ servers: 25, start: 'ready-for-test' });
      const pages: string[][] = [];
      for await (const page of paginateDescribeSourceServers({ client: mgn, pageSize: 7 }, {})) {
        pages.push((page.items ?? []).map((s) => s.sourceServerID as string));
      }
      expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
      const all = await ids();
      expect(new Set(all).size).toBe(25);
      expect(pages.flat()).toEqual(all);
    });

    it('pages DescribeJobs latest first and ListWaves in creation order', async () => {
      const { mgn, ids, advance } = await start({ servers: 5, start: 'ready-for-test' });
      const jobIDs: string[] = [];
      for (const id of await ids()) {
        jobIDs.push((await mgn.send(new StartTestCommand({ sourceServerIDs: [id] }))).job?.jobID as string);
        await advance(60);
      }
      const jobs: string[] = [];
      for await (const page of paginateDescribeJobs({ client: mgn, pageSize: 2 }, {})) {
        expect(page.items?.length).toBeLessThanOrEqual(2);
        jobs.push(...(page.items ?? []).map((j) => j.jobID as string));
      }
      expect(jobs).toEqual([...jobIDs].reverse());

      const waveIDs: string[] = [];
      for (let i = 1; i <= 5; i++) waveIDs.push((await mgn.send(new CreateWaveCommand({ name: `wave ${i}` }))).waveID as string);
      const waves: string[] = [];
      let pageCount = 0;
      for await (const page of paginateListWaves({ client: mgn, pageSize: 2 }, {})) {
        pageCount++;
        waves.push(...(page.items ?? []).map((w) => w.waveID as string));
      }
      expect(pageCount).toBe(3);
      expect(waves).toEqual(waveIDs);
    });

    it('refuses a nextToken issued for another filter', async () => {
      const { mgn } = await start({ servers: 4 });
      const first = await mgn.send(new DescribeSourceServersCommand({ maxResults: 2, filters: { isArchived: false } }));
      expect(first.nextToken).toBeTruthy();
      const e = await rejects(
        mgn.send(new DescribeSourceServersCommand({ maxResults: 2, filters: { isArchived: true }, nextToken: first.nextToken })),
        ValidationException,
      );
      expect(e.fieldList?.map((f) => f.name)).toEqual(['nextToken']);
      const same = await mgn.send(new DescribeSourceServersCommand({ maxResults: 2, filters: { isArchived: false }, nextToken: first.nextToken }));
      expect(same.items).toHaveLength(2);
      expect(same.nextToken).toBeUndefined();
    });
  });

  describe('tag routes', () => {
    it('tags, lists and untags a source server and a wave by ARN, keys with spaces included', async () => {
      const { emu, mgn, all } = await start({ servers: 1 });
      const server = (await all())[0];
      const wave = await mgn.send(new CreateWaveCommand({ name: 'tagged', tags: { team: 'core' } }));
      for (const [arn, initial] of [
        [server?.arn as string, { Name: server?.tags?.Name as string }],
        [wave.arn as string, { team: 'core' }],
      ] as const) {
        const tagged = await mgn.send(new TagResourceCommand({ resourceArn: arn, tags: { 'x y': 'spaced', env: 'test' } }));
        expect(tagged.$metadata.httpStatusCode).toBe(200);
        expect((await mgn.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({ ...initial, 'x y': 'spaced', env: 'test' });
        await mgn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['x y', 'env'] }));
        expect((await mgn.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual(initial);
      }
      const ops = (await control<{ requests: { operation: string; status: number }[] }>(emu.endpoint, '/requests')).body.requests
        .filter((r) => /tag/i.test(r.operation))
        .map((r) => `${r.operation} ${r.status}`);
      expect(ops).toEqual(Array.from({ length: 2 }, () => ['TagResource 200', 'ListTagsForResource 200', 'UntagResource 200', 'ListTagsForResource 200']).flat());
    });

    it('throws ResourceNotFoundException for an ARN of no resource and ValidationException for a non-MGN ARN', async () => {
      const { mgn } = await start({ servers: 1 });
      const arn = `arn:aws:mgn:us-east-1:111122223333:source-server/${UNKNOWN_SERVER}`;
      const e = await rejects(mgn.send(new ListTagsForResourceCommand({ resourceArn: arn })), ResourceNotFoundException);
      expect(e.resourceId).toBe(arn);
      await rejects(mgn.send(new TagResourceCommand({ resourceArn: arn, tags: { a: 'b' } })), ResourceNotFoundException);
      await rejects(mgn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a'] })), ResourceNotFoundException);
      const malformed = await rejects(mgn.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ec2:us-east-1:111122223333:instance/i-1' })), ValidationException);
      expect(malformed.fieldList?.map((f) => f.name)).toEqual(['resourceArn']);
    });
  });

  describe('retries', () => {
    it('succeeds on the third attempt after two throttles, logged as one logical call', async () => {
      const { emu, mgn } = await start({ servers: 1 });
      await control(emu.endpoint, '/errors', { type: 'ThrottlingException', count: 2 });
      const r = await mgn.send(new DescribeJobsCommand({}));
      expect(r.$metadata.attempts).toBe(3);
      expect(await logicalCalls(emu.endpoint, 'DescribeJobs')).toEqual([
        expect.objectContaining({ attempts: 3, status: 200, faults: ['throttle', 'throttle'] }),
      ]);
      const requests = (await control<{ requests: { attempt: number; status: number }[] }>(emu.endpoint, '/requests?operation=DescribeJobs')).body.requests;
      expect(requests.map((x) => [x.attempt, x.status])).toEqual([
        [1, 429],
        [2, 429],
        [3, 200],
      ]);
    });

    it('throws ThrottlingException after the default three attempts when three throttles are queued', async () => {
      const { emu, mgn } = await start({ servers: 1 });
      await control(emu.endpoint, '/errors', { type: 'ThrottlingException', count: 3 });
      const e = await rejects(mgn.send(new DescribeJobsCommand({})), ThrottlingException);
      expect(e.$metadata.attempts).toBe(3);
      expect(await logicalCalls(emu.endpoint, 'DescribeJobs')).toEqual([
        expect.objectContaining({ attempts: 3, status: 429, errorType: 'ThrottlingException' }),
      ]);
      // the queue is spent: normal service resumes
      expect((await mgn.send(new DescribeJobsCommand({}))).$metadata.attempts).toBe(1);
    });

    it('succeeds on the second attempt after one InternalServerException', async () => {
      const { emu, mgn } = await start({ servers: 1 });
      await control(emu.endpoint, '/errors', { type: 'InternalServerException', operation: 'ListWaves' });
      const r = await mgn.send(new ListWavesCommand({}));
      expect(r.$metadata.attempts).toBe(2);
      expect(await logicalCalls(emu.endpoint, 'ListWaves')).toEqual([
        expect.objectContaining({ attempts: 2, status: 200, faults: ['internalError'] }),
      ]);
    });

    it('does not retry ConflictException, ValidationException or ResourceNotFoundException', async () => {
      const { emu, mgn } = await start({ servers: 1 });
      const conflict = await rejects(mgn.send(new StartTestCommand({ sourceServerIDs: [UNKNOWN_SERVER] })), ConflictException);
      const invalid = await rejects(mgn.send(new DescribeJobsCommand({ maxResults: 0 })), ValidationException);
      const missing = await rejects(mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: UNKNOWN_SERVER })), ResourceNotFoundException);
      expect([conflict, invalid, missing].map((e) => e.$metadata.attempts)).toEqual([1, 1, 1]);
      const calls = (await control<{ calls: LogicalCall[] }>(emu.endpoint, '/requests?logical=1')).body.calls;
      expect(calls.map((c) => [c.operation, c.attempts, c.errorType])).toEqual([
        ['StartTest', 1, 'ConflictException'],
        ['DescribeJobs', 1, 'ValidationException'],
        ['GetLaunchConfiguration', 1, 'ResourceNotFoundException'],
      ]);
    });
  });

  describe('uninitialized account', () => {
    it('throws UninitializedAccountException until InitializeService is called', async () => {
      const { mgn, all } = await start({ servers: 2, initialized: false });
      const e = await rejects(mgn.send(new DescribeSourceServersCommand({})), UninitializedAccountException);
      expect(e.$metadata.httpStatusCode).toBe(400);
      expect(e.code).toBe('UNINITIALIZED_ACCOUNT');
      expect(e.$metadata.attempts).toBe(1);
      await rejects(mgn.send(new ListWavesCommand({})), UninitializedAccountException);
      const init = await mgn.send(new InitializeServiceCommand({}));
      expect(init.$metadata.httpStatusCode).toBe(204);
      expect(await all()).toHaveLength(2);
    });
  });
});
