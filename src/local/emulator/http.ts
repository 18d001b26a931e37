import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer, type Server as HttpServer } from 'node:http';
import { iso } from './clock.ts';
import { FaultsSchema, QUOTAS, type QuotaName } from './config.ts';
import type { MgnEngine } from './engine.ts';
import { MgnError, validation } from './errors.ts';
import { LIFECYCLE_TABLE } from './lifecycle.ts';
import { type OpResult, operations } from './operations.ts';
import { ALL_SDK_OPERATIONS, type OperationName, inputSchemas, isMutating, isOperation, successStatus } from './schemas.ts';
import { ACCOUNT_ID, SERVER_ID_SOURCE } from '../../core/ids.ts';
import { renderServer, renderJob, renderWave, renderApplication } from './render.ts';

export interface RequestLogEntry {
  seq: number;
  /** Simulated time (ISO). */
  time: string;
  operation: string;
  /** `amz-sdk-invocation-id`: one per logical SDK call, the same across its retries. */
  invocationId?: string;
  attempt: number;
  status: number;
  errorType?: string;
  fault?: 'throttle' | 'internalError' | 'errorAfterCommit';
  sourceServerIDs?: string[];
  jobID?: string;
  /** The request's `accountID` (MGN's global view); absent: the home account. */
  accountID?: string;
}

const MAX_BODY = 1024 * 1024;

export class EmulatorHttp {
  readonly log: RequestLogEntry[] = [];
  private seq = 0;
  readonly server: HttpServer;
  /** Errors queued by POST /_emulator/errors: the next matching requests fail this way, then normal service. */
  private readonly queuedErrors: { type: 'ThrottlingException' | 'InternalServerException'; operation?: string; afterCommit: boolean }[] = [];

  constructor(private readonly engine: MgnEngine) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // last line of defence: never an HTML page or a dropped connection
        this.sendError(res, new MgnError('InternalServerException', `Emulator error: ${(err as Error).message}`));
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw validation('Request body too large', 'cannotParse');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const requestId = randomUUID();
    const text = status === 204 ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body ?? {});
    res.writeHead(status, {
      'x-amzn-RequestId': requestId,
      ...(status === 204 ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }),
      ...headers,
    });
    res.end(text);
  }

  private sendError(res: ServerResponse, err: MgnError): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    this.send(res, err.status, err.toBody(), { 'x-amzn-ErrorType': err.type, ...err.headers });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/_emulator/')) {
      await this.control(req, res, url);
      return;
    }
    this.engine.clock.runDue();
    const route = this.route(req.method ?? 'GET', url);
    const invocationId = header(req, 'amz-sdk-invocation-id');
    const attemptMatch = /attempt=(\d+)/.exec(header(req, 'amz-sdk-request') ?? '');
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      time: iso(this.engine.now()),
      operation: route.op,
      ...(invocationId ? { invocationId } : {}),
      attempt: attemptMatch ? Number(attemptMatch[1]) : 1,
      status: 0,
    };
    let input: Record<string, unknown> = {};
    let result: OpResult | undefined;
    try {
      const raw = await this.readBody(req);
      input = this.parse(route, raw, url);
      collectIds(entry, input);
      result = this.dispatch(route.op, input, entry);
      const status = successStatus(route.op);
      entry.status = status;
      if (entry.fault === 'errorAfterCommit') {
        entry.status = 500;
        entry.errorType = 'InternalServerException';
        this.sendError(res, new MgnError('InternalServerException', 'We encountered an internal error. Please try again.'));
      } else {
        this.send(res, status, result?.raw ?? result?.body ?? {});
      }
    } catch (err) {
      const e = err instanceof MgnError ? err : new MgnError('InternalServerException', `Emulator error: ${(err as Error).message}`);
      entry.status = e.status;
      entry.errorType = e.type;
      this.sendError(res, e);
    } finally {
      this.record(entry);
      if (isMutating(route.op) && entry.fault !== 'throttle' && entry.fault !== 'internalError' && ALL_SDK_OPERATIONS.has(route.op)) {
        this.cloudTrail(req, route.op, input, result?.body, entry);
      }
    }
  }

  private record(entry: RequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > 500_000) this.log.splice(0, 100_000);
  }

  private route(method: string, url: URL): { op: string; arn?: string } {
    const tags = /^\/tags\/([^/]+)$/.exec(url.pathname);
    if (tags) {
      let arn = tags[1] as string;
      try {
        arn = decodeURIComponent(arn);
      } catch {
        // malformed percent-encoding: keep the raw segment, which matches no ARN (ValidationException, not a 500)
      }
      if (method === 'POST') return { op: 'TagResource', arn };
      if (method === 'GET') return { op: 'ListTagsForResource', arn };
      if (method === 'DELETE') return { op: 'UntagResource', arn };
      return { op: `${method} /tags` };
    }
    const m = /^\/([A-Za-z]+)$/.exec(url.pathname);
    if (m && (method === 'POST' || (method === 'GET' && m[1] === 'DescribeVcenterClients'))) return { op: m[1] as string };
    return { op: `${method} ${url.pathname}` };
  }

  private parse(route: { op: string; arn?: string }, raw: string, url: URL): Record<string, unknown> {
    let body: unknown = {};
    if (raw.trim().length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        throw validation('Request body is not valid JSON', 'cannotParse');
      }
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw validation('Request body must be a JSON object', 'cannotParse');
    }
    const input = body as Record<string, unknown>;
    if (route.arn !== undefined) input.resourceArn = route.arn;
    if (route.op === 'UntagResource') input.tagKeys = url.searchParams.getAll('tagKeys');
    return input;
  }

  private dispatch(op: string, input: Record<string, unknown>, entry: RequestLogEntry): OpResult {
    const e = this.engine;
    if (!isOperation(op)) {
      if (ALL_SDK_OPERATIONS.has(op)) {
        throw validation(`Operation ${op} is not supported by the mgn-flow emulator`, 'unknownOperation');
      }
      throw validation(`Unknown operation: ${op}`, 'unknownOperation');
    }
    const f = e.faults;
    const queued = this.queuedErrors.findIndex((q) => !q.operation || q.operation === op);
    const q = queued >= 0 ? this.queuedErrors[queued] : undefined;
    if (q && !q.afterCommit) {
      this.queuedErrors.splice(queued, 1);
      entry.fault = q.type === 'ThrottlingException' ? 'throttle' : 'internalError';
      throw q.type === 'ThrottlingException'
        ? new MgnError('ThrottlingException', 'Rate exceeded', { serviceCode: 'mgn' })
        : new MgnError('InternalServerException', 'We encountered an internal error. Please try again.');
    }
    if (e.requestRng.chance(f.throttleRate)) {
      entry.fault = 'throttle';
      throw new MgnError('ThrottlingException', 'Rate exceeded', { serviceCode: 'mgn' });
    }
    if (e.requestRng.chance(f.internalErrorRate)) {
      entry.fault = 'internalError';
      throw new MgnError('InternalServerException', 'We encountered an internal error. Please try again.');
    }
    const tagOp = op === 'TagResource' || op === 'UntagResource' || op === 'ListTagsForResource';
    if (!e.initialized && op !== 'InitializeService' && !tagOp) {
      throw new MgnError('UninitializedAccountException', 'Account is not initialized. Call InitializeService first.', { code: 'UNINITIALIZED_ACCOUNT' });
    }
    const schema = inputSchemas[op];
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      const fieldList = parsed.error.issues.map((i) => ({ name: i.path.join('.') || '(body)', message: i.message }));
      throw validation(
        `Invalid request: ${fieldList.map((x) => `${x.name}: ${x.message}`).join('; ')}`,
        'fieldValidationFailed',
        fieldList,
      );
    }
    const handler = operations[op] as (eng: typeof e, i: unknown) => OpResult;
    const account = (parsed.data as { accountID?: string }).accountID ?? e.accountId;
    if (!e.managedAccounts.has(account)) {
      throw validation(`Account ${account} is not managed by this MGN (ListManagedAccounts lists the accounts of its global view)`, 'fieldValidationFailed', [
        { name: 'accountID', message: 'not a managed account' },
      ]);
    }
    if (isMutating(op)) e.mutations++;
    // operations run synchronously: the account is the request's for exactly this call
    e.requestAccount = account;
    let result: OpResult;
    try {
      result = handler(e, parsed.data);
    } finally {
      e.requestAccount = e.accountId;
    }
    if (q?.afterCommit) {
      this.queuedErrors.splice(queued, 1);
      entry.fault = 'errorAfterCommit';
    } else if (isMutating(op) && !tagOp && e.requestRng.chance(f.errorAfterCommitRate)) entry.fault = 'errorAfterCommit';
    return result;
  }

  /** "AWS API Call via CloudTrail" for mutating calls (read-only calls need a special rule state on AWS). */
  private cloudTrail(
    req: IncomingMessage,
    op: string,
    input: Record<string, unknown>,
    result: Record<string, unknown> | undefined,
    entry: RequestLogEntry,
  ): void {
    const e = this.engine;
    const ok = entry.status < 300;
    const { resourceArn: _arn, ...requestParameters } = input;
    const detail: Record<string, unknown> = {
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', accountId: e.accountId, accessKeyId: 'AKIDEXAMPLE' },
      eventTime: iso(e.now()).replace(/\.\d{3}Z$/, 'Z'),
      eventSource: 'mgn.amazonaws.com',
      eventName: op,
      awsRegion: e.region,
      sourceIPAddress: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: header(req, 'user-agent') ?? 'unknown',
      requestParameters: op === 'TagResource' || op === 'UntagResource' ? { resourceArn: input.resourceArn, ...requestParameters } : requestParameters,
      responseElements: ok && result && Object.keys(result).length ? result : null,
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: e.accountId,
      eventCategory: 'Management',
      ...(ok || entry.fault === 'errorAfterCommit' ? {} : { errorCode: entry.errorType, errorMessage: `${entry.errorType}` }),
    };
    e.events.emit(e.events.build('AWS API Call via CloudTrail', [], detail));
  }

  // ---------------------------------------------------------------- control routes

  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const e = this.engine;
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/^\/_emulator/, '');
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body, null, 2);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const fail = (status: number, message: string) => reply(status, { message });
    let body: Record<string, unknown> = {};
    try {
      const raw = await this.readBody(req);
      body = raw.trim() ? (JSON.parse(raw) as Record<string, unknown>) : {};
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    } catch {
      fail(400, 'Body must be a JSON object');
      return;
    }
    e.clock.runDue();
    if (method !== 'GET') e.mutations++;
    if (path === '/state' && method === 'GET') {
      reply(200, this.state());
      return;
    }
    if (path === '/clock') {
      if (method === 'POST') {
        const advance = body.advanceSeconds;
        const scale = body.timeScale;
        const paused = body.paused;
        const mode = e.clock.mode;
        // why the pace of a manual or discrete clock cannot be set
        const noPace =
          mode === 'manual'
            ? 'this clock is manual: time moves only when advanced (advanceSeconds)'
            : 'this clock is discrete-event: time stands still while work is in flight and jumps whenever the cloud is idle';
        if (advance !== undefined && (typeof advance !== 'number' || !(advance >= 0) || advance > 1e9)) return fail(400, 'advanceSeconds must be a number from 0 to 1e9 (about 31 years)');
        if (scale !== undefined && (typeof scale !== 'number' || !(scale > 0) || scale > 1e6)) return fail(400, 'timeScale must be a number above 0 and at most 1e6');
        if (paused !== undefined && typeof paused !== 'boolean') return fail(400, 'paused must be true or false');
        if (scale !== undefined && mode !== 'scaled') return fail(400, `timeScale applies to a wall-scaled clock only; ${noPace}`);
        if (paused !== undefined && mode !== 'scaled') return fail(400, `paused applies to a wall-scaled clock only; ${noPace}`);
        if (typeof scale === 'number') e.clock.setScale(scale);
        if (paused === true) e.clock.pause();
        else if (paused === false) e.clock.resume();
        if (typeof advance === 'number') e.clock.advance(advance);
      } else if (method !== 'GET') return fail(405, 'Use GET or POST');
      const c = e.clock;
      const t = e.now();
      reply(200, { now: iso(t), nowMs: t, timeScale: c.scale, manual: c.isManual, pending: c.pending, mode: c.mode, paused: c.isPaused, configuredScale: c.configuredScale });
      return;
    }
    if (path === '/faults') {
      if (method === 'PUT' || method === 'POST') {
        const merged = method === 'POST' ? { ...e.faults, ...body } : body;
        const parsed = FaultsSchema.safeParse(merged);
        if (!parsed.success) return fail(400, `Invalid faults: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; allowed keys: ${Object.keys(FaultsSchema.shape).join(', ')}`);
        e.faults = parsed.data;
      } else if (method !== 'GET') return fail(405, 'Use GET, PUT (replace) or POST (merge)');
      reply(200, e.faults);
      return;
    }
    if (path === '/errors' && method === 'POST') {
      const { type, count, operation, afterCommit } = body as Record<string, unknown>;
      if (type !== 'ThrottlingException' && type !== 'InternalServerException') return fail(400, 'type must be ThrottlingException or InternalServerException');
      if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 10_000)) return fail(400, 'count must be a whole number from 1 to 10000');
      if (operation !== undefined && typeof operation !== 'string') return fail(400, 'operation must be an operation name such as StartTest');
      if (afterCommit !== undefined && typeof afterCommit !== 'boolean') return fail(400, 'afterCommit must be a boolean');
      if (afterCommit === true && type !== 'InternalServerException') return fail(400, 'afterCommit applies to InternalServerException only');
      for (let i = 0; i < ((count as number | undefined) ?? 1); i++) {
        this.queuedErrors.push({ type, ...(typeof operation === 'string' ? { operation } : {}), afterCommit: afterCommit === true });
      }
      reply(200, { queued: this.queuedErrors.length });
      return;
    }
    if (path === '/quotas' && method === 'GET') {
      reply(200, { quotas: (Object.keys(QUOTAS) as QuotaName[]).map((k) => ({ key: k, name: QUOTAS[k].name, code: QUOTAS[k].code, adjustable: QUOTAS[k].adjustable, value: e.quotas[k], defaultValue: QUOTAS[k].value })) });
      return;
    }
    if (path === '/metrics' && method === 'GET') {
      const m = process.memoryUsage();
      reply(200, { rssBytes: m.rss, heapUsedBytes: m.heapUsed, requests: this.seq, servers: e.servers.size, jobs: e.jobs.size, pendingTimers: e.clock.pending });
      return;
    }
    if (path === '/lifecycle' && method === 'GET') {
      reply(200, LIFECYCLE_TABLE);
      return;
    }
    // MGN's global view: the managed accounts and their own quotas; POST {accountId, quotas} adds or changes one
    if (path === '/accounts') {
      if (method === 'POST') {
        const b = (body ?? {}) as { accountId?: unknown; quotas?: unknown };
        const quotas = (b.quotas ?? {}) as Record<string, unknown>;
        const bad = Object.entries(quotas).find(([k, v]) => !(k in QUOTAS) || typeof v !== 'number' || !(v >= 0));
        if (typeof b.accountId !== 'string' || !ACCOUNT_ID.test(b.accountId)) return fail(400, 'accountId: an AWS account id of 12 digits');
        if (bad) return fail(400, `quotas.${bad[0]}: a quota key (${Object.keys(QUOTAS).join(', ')}) with a number of at least 0`);
        e.addManagedAccount(b.accountId, quotas as Partial<Record<QuotaName, number>>);
      } else if (method !== 'GET') return fail(405, 'Use GET, or POST {accountId, quotas} to add a managed account');
      reply(200, { accounts: [...e.managedAccounts].map((accountId) => ({ accountId, home: accountId === e.accountId, quotas: e.quotasFor(accountId) })) });
      return;
    }
    if (path === '/requests' && method === 'GET') {
      const op = url.searchParams.get('operation');
      const entries = op ? this.log.filter((x) => x.operation === op) : this.log;
      if (url.searchParams.get('logical') === '1') {
        reply(200, { calls: logicalCalls(entries) });
      } else {
        reply(200, { requests: entries });
      }
      return;
    }
    if (path === '/events' && method === 'GET') {
      reply(200, { events: e.events.delivered, dropped: e.events.dropped });
      return;
    }
    const serverRoute = new RegExp(`^/servers/(${SERVER_ID_SOURCE})/(quiesce|inject)$`).exec(path);
    if (serverRoute && method === 'POST') {
      const s = e.servers.get(serverRoute[1] as string);
      if (!s) return fail(404, `No source server ${serverRoute[1]}`);
      if (serverRoute[2] === 'quiesce') {
        e.quiesce(s);
      } else {
        const { failNextLaunch, failLaunches, failPostLaunchAction, backlogBytes, stall, agent } = body as Record<string, unknown>;
        if (agent !== undefined && agent !== 'DISCOVERED' && agent !== 'PENDING_INSTALLATION' && agent !== 'INSTALLED') return fail(400, 'agent must be DISCOVERED, PENDING_INSTALLATION or INSTALLED');
        if (failNextLaunch !== undefined && typeof failNextLaunch !== 'boolean') return fail(400, 'failNextLaunch must be a boolean');
        if (failLaunches !== undefined && (typeof failLaunches !== 'number' || !Number.isInteger(failLaunches) || failLaunches < 0)) return fail(400, 'failLaunches must be a whole number >= 0 (how many of the next launches fail)');
        if (failPostLaunchAction !== undefined && typeof failPostLaunchAction !== 'string') return fail(400, 'failPostLaunchAction must be an action name');
        if (backlogBytes !== undefined && (typeof backlogBytes !== 'number' || backlogBytes < 0)) return fail(400, 'backlogBytes must be a number >= 0');
        if (stall !== undefined && typeof stall !== 'string') return fail(400, 'stall must be a DataReplicationErrorString such as UNSTABLE_NETWORK');
        if (failNextLaunch !== undefined) s.inject.failNextLaunch = failNextLaunch as boolean;
        if (typeof failLaunches === 'number') s.inject.failLaunches = failLaunches;
        if (typeof failPostLaunchAction === 'string') s.inject.failPostLaunchAction = failPostLaunchAction;
        if (typeof backlogBytes === 'number') s.repl.backlogBytes = backlogBytes;
        if (agent !== undefined) e.setAgent(s, agent as 'DISCOVERED' | 'PENDING_INSTALLATION' | 'INSTALLED');
        if (typeof stall === 'string') {
          if (s.repl.state === 'STOPPED' || s.repl.state === 'DISCONNECTED' || s.repl.state === 'PAUSED' || s.repl.state === 'STALLED') return fail(409, `Replication of ${s.id} is ${s.repl.state}; it cannot stall`);
          if (s.repl.state === 'INITIATING') {
            // the initiation checklist shows the step that was running as the failed one
            const running = s.repl.stepEnds.findIndex((end) => end > e.now());
            if (running >= 0) s.repl.failedStep = running;
          }
          e.stall(s, stall, `Injected stall ${stall}`, s.repl.state === 'INITIATING' ? 'INITIATING' : s.repl.state);
        }
      }
      reply(200, renderServer(e, s));
      return;
    }
    fail(404, `Unknown control route ${method} ${url.pathname}; see GET /_emulator/state, /metrics, /clock, /faults, /quotas, /accounts, /lifecycle, /requests, /events, POST /clock, /faults, /errors, /accounts, /servers/{id}/quiesce|inject`);
  }

  private state(): Record<string, unknown> {
    const e = this.engine;
    return {
      now: iso(e.now()),
      timeScale: e.clock.scale,
      manualClock: e.clock.isManual,
      seed: e.seed,
      region: e.region,
      accountId: e.accountId,
      initialized: e.initialized,
      faults: e.faults,
      quotas: e.quotas,
      activeReplicating: e.activeReplicatingCount(),
      activeJobs: e.activeJobs().length,
      servers: [...e.servers.values()].map((s) => ({
        sourceServerID: s.id,
        account: s.account,
        hostname: s.properties.identificationHints.hostname,
        lifeCycleState: s.lifeCycle.state,
        dataReplicationState: s.repl.state,
        isArchived: s.isArchived,
        applicationID: s.applicationID,
        activeJobID: s.activeJobID,
        launchedInstance: s.launchedInstance,
        lastLaunch: s.lastLaunch,
        launches: s.launches,
        quiesced: s.quiescedAt !== undefined,
      })),
      jobs: [...e.jobs.values()].map((j) => renderJob(e, j)),
      waves: [...e.waves.values()].map((w) => renderWave(e, w)),
      applications: [...e.applications.values()].map((a) => renderApplication(e, a)),
      eventsDelivered: e.events.delivered.length,
      eventsDropped: e.events.dropped,
      requests: this.log.length,
    };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function collectIds(entry: RequestLogEntry, input: Record<string, unknown>): void {
  if (Array.isArray(input.sourceServerIDs)) entry.sourceServerIDs = input.sourceServerIDs.filter((x): x is string => typeof x === 'string');
  else if (typeof input.sourceServerID === 'string') entry.sourceServerIDs = [input.sourceServerID];
  else {
    const f = input.filters as { sourceServerIDs?: unknown } | undefined;
    if (Array.isArray(f?.sourceServerIDs)) entry.sourceServerIDs = f.sourceServerIDs.filter((x): x is string => typeof x === 'string');
  }
  if (typeof input.accountID === 'string') entry.accountID = input.accountID;
  if (typeof input.jobID === 'string') entry.jobID = input.jobID;
}

/** Group attempts into logical calls by invocation id: what the caller asked for, not what the SDK retried. */
export function logicalCalls(entries: RequestLogEntry[]): {
  invocationId: string;
  operation: string;
  attempts: number;
  status: number;
  errorType?: string;
  faults: string[];
  sourceServerIDs?: string[];
}[] {
  const calls = new Map<string, ReturnType<typeof logicalCalls>[number]>();
  for (const x of entries) {
    const key = x.invocationId ?? `seq-${x.seq}`;
    const c = calls.get(key);
    if (!c) {
      calls.set(key, {
        invocationId: key,
        operation: x.operation,
        attempts: 1,
        status: x.status,
        ...(x.errorType ? { errorType: x.errorType } : {}),
        faults: x.fault ? [x.fault] : [],
        ...(x.sourceServerIDs ? { sourceServerIDs: x.sourceServerIDs } : {}),
      });
    } else {
      c.attempts++;
      c.status = x.status;
      if (x.errorType) c.errorType = x.errorType;
      else delete c.errorType;
      if (x.fault) c.faults.push(x.fault);
    }
  }
  return [...calls.values()];
}

export type { OperationName };
