import { DescribeSourceServersCommand, type MgnClient, type SourceServer } from '@aws-sdk/client-mgn';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { type AslGraph, type GraphNode, parseDefinition, readJsonPath } from './asl.ts';
import { type ExecutionStates, stateStatuses } from './history.ts';
import { type GraphLayout, layoutGraph } from './layout.ts';
import { gateWords, isGateKind } from '../core/lifecycle.ts';
import { derivePhase, deriveStatus, PHASE_LABELS, PHASES, type Phase, type Status } from './phase.ts';
import { chunks, mapLimit } from '../core/batches.ts';

/**
 * Everything the dashboard shows, read from the Step Functions and MGN APIs only (so one code path serves
 * the local cloud and AWS), with the reads a 1,000-server wave needs kept few:
 * - the board is rebuilt at most every `boardIntervalMs`; concurrent requests share one rebuild;
 * - one ListExecutions page holds 1,000 executions; an execution's input is read once (it never changes),
 *   and a closed execution's DescribeExecution and last states are read once and kept;
 * - a running execution's current state comes from the newest page of its history (reverse order, no
 *   data), within a token bucket (`historyReadsPerSecond`): the stalest first, so on AWS the dashboard
 *   stays within GetExecutionHistory's quota and each server shows how old its state is;
 * - MGN DescribeSourceServers by id, 200 ids a call (the filter's limit).
 */

export interface ReaderOptions {
  sfn: SFNClient;
  mgn: MgnClient;
  /** The server-lifecycle state machines whose executions make the board. */
  stateMachineArns: string[];
  boardIntervalMs?: number;
  /** GetExecutionHistory calls per second for the board (default 100; against AWS keep it under the quota's refill, e.g. 4). */
  historyReadsPerSecond?: number;
  historyBurst?: number;
  /** Newest executions the board considers, per state machine. */
  maxExecutions?: number;
  concurrency?: number;
  now?: () => number;
}

export interface GateView {
  state: string;
  gate: string;
  approvers: string[];
}

export interface HoldView {
  state: string;
  why: string;
}

export interface ServerView {
  serverId: string;
  hostname?: string;
  executionArn: string;
  executionName: string;
  status: Status;
  executionStatus: string;
  phase: Phase;
  /** The state it is in (running) or stopped in; absent until its history has been read once. */
  state?: string;
  /** Seconds since its state was read (running executions). */
  stateAgeS?: number;
  gate?: GateView;
  hold?: HoldView;
  mgn?: { lifeCycle?: string; replication?: string; isArchived?: boolean; lagDuration?: string };
  error?: string;
  cause?: string;
  startDate?: string;
  stopDate?: string;
}

export interface Board {
  generatedAt: string;
  buildMs: number;
  phases: readonly Phase[];
  /** The phases' column titles (src/core/lifecycle.ts): the page shows these. */
  phaseLabels: Readonly<Record<Phase, string>>;
  counts: Record<Status, number> & { total: number };
  waves: { wave: string; applications: { application: string; servers: ServerView[] }[] }[];
  /** Reads that failed this time (the board shows the rest). */
  problems: string[];
}

export interface ExecutionGraph {
  executionArn: string;
  name: string;
  status: string;
  stateMachineArn: string;
  layout: GraphLayout;
  states: ExecutionStates;
}

interface ExecutionEntry {
  arn: string;
  name: string;
  stateMachineArn: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  /** From DescribeExecution, once. */
  input?: RunInput | null;
  /** DescribeExecution after it closed (error, cause), once. */
  closedRead?: boolean;
  error?: string;
  cause?: string;
  /** Newest states entered, from the latest history read. */
  recent?: string[];
  current?: string;
  readAt?: number;
  /** The history read after the execution closed: final. */
  finalRead?: boolean;
}

interface RunInput {
  wave: string;
  application: string;
  serverId: string;
  /** The account of MGN's global view the server is in (its plan's); undefined: the home account. */
  account?: string;
  raw: unknown;
}

interface HistoryCache {
  events: HistoryEvent[];
  lastId: number;
  final: boolean;
  usedAt: number;
}


/** Who decides a gate: the addresses the definition passes to the gate, else the plan's approvers, else "approvers". */
export function gateApprovers(node: Pick<GraphNode, 'gate' | 'approversPath'>, input: unknown): string[] {
  const list = (v: unknown): string[] | undefined => {
    if (typeof v === 'string' && v) return [v];
    if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) return v as string[];
    // a gate's policy ({people, quorum, ...}): its people
    if (v && typeof v === 'object' && !Array.isArray(v) && 'people' in v) return list((v as { people: unknown }).people);
    return undefined;
  };
  if (node.approversPath) {
    const found = list(readJsonPath(input, node.approversPath));
    if (found) return found;
  }
  const approvers = readJsonPath(input, '$.plan.approvers');
  const all = list(approvers);
  if (all) return all;
  if (approvers && typeof approvers === 'object') {
    for (const key of node.gate && isGateKind(node.gate) ? [gateWords(node.gate).approvers, ...gateWords(node.gate).approverFields] : []) {
      const found = list((approvers as Record<string, unknown>)[key]);
      if (found) return found;
    }
  }
  return ['approvers'];
}

export class DashboardReader {
  private readonly sfn: SFNClient;
  private readonly mgn: MgnClient;
  private readonly arns: string[];
  private readonly interval: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxExecutions: number;
  private readonly concurrency: number;
  private readonly now: () => number;

  private readonly executions = new Map<string, ExecutionEntry>();
  private readonly graphs = new Map<string, AslGraph>();
  private readonly layouts = new Map<string, { graph: AslGraph; layout: GraphLayout }>();
  private readonly machineOf = new Map<string, string>();
  private readonly histories = new Map<string, HistoryCache>();
  private readonly hostnames = new Map<string, string>();
  private tokens: number;
  private tokensAt: number;
  private board?: Board;
  private boardAt = 0;
  private building?: Promise<Board>;

  constructor(opts: ReaderOptions) {
    this.sfn = opts.sfn;
    this.mgn = opts.mgn;
    this.arns = opts.stateMachineArns;
    this.interval = opts.boardIntervalMs ?? 2000;
    this.rate = opts.historyReadsPerSecond ?? 100;
    this.burst = opts.historyBurst ?? 200;
    this.maxExecutions = opts.maxExecutions ?? 5000;
    this.concurrency = opts.concurrency ?? 16;
    this.now = opts.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.tokensAt = this.now();
  }

  /** The wave board, rebuilt at most every `boardIntervalMs`. */
  async getBoard(): Promise<Board> {
    if (this.board && this.now() - this.boardAt < this.interval) return this.board;
    if (!this.building) {
      this.building = this.buildBoard()
        .then((b) => {
          this.board = b;
          this.boardAt = this.now();
          return b;
        })
        .finally(() => {
          this.building = undefined;
        });
    }
    return this.building;
  }

  private async buildBoard(): Promise<Board> {
    const started = this.now();
    const problems: string[] = [];
    // 1. every execution of the lifecycle machines, newest first
    const seen = new Set<string>();
    for (const machine of this.arns) {
      let nextToken: string | undefined;
      let n = 0;
      try {
        do {
          const r = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
          for (const x of r.executions ?? []) {
            if (!x.executionArn) continue;
            seen.add(x.executionArn);
            const e = this.executions.get(x.executionArn) ?? { arn: x.executionArn, name: x.name ?? '', stateMachineArn: machine, status: 'RUNNING' };
            e.status = x.status ?? e.status;
            if (x.startDate) e.startDate = x.startDate;
            if (x.stopDate) e.stopDate = x.stopDate;
            this.executions.set(e.arn, e);
            n++;
          }
          nextToken = r.nextToken;
        } while (nextToken && n < this.maxExecutions);
      } catch (err) {
        problems.push(`ListExecutions ${machine}: ${describe(err)}`);
      }
    }
    const current = [...this.executions.values()].filter((e) => seen.has(e.arn));

    // 2. inputs (once) and closed executions' errors (once)
    await mapLimit(
      current.filter((e) => e.input === undefined || (e.status !== 'RUNNING' && !e.closedRead)),
      this.concurrency,
      async (e) => {
        try {
          const d = await this.sfn.send(new DescribeExecutionCommand({ executionArn: e.arn }));
          e.input = parseRun(d.input);
          if (d.status) e.status = d.status;
          if (d.status && d.status !== 'RUNNING') {
            e.closedRead = true;
            if (d.error) e.error = d.error;
            if (d.cause) e.cause = d.cause.slice(0, 500);
          }
        } catch (err) {
          problems.push(`DescribeExecution ${e.name}: ${describe(err)}`);
        }
      },
    );

    // 3. the latest execution per server: a server run again in a later wave is shown (and counted) once, there
    const latest = new Map<string, ExecutionEntry>();
    for (const e of current) {
      if (!e.input) continue;
      const key = e.input.serverId;
      const have = latest.get(key);
      if (!have || (e.startDate?.getTime() ?? 0) > (have.startDate?.getTime() ?? 0)) latest.set(key, e);
    }
    const shown = [...latest.values()];

    // 4. current states: the stalest first, within the read budget
    this.refill();
    const due = shown
      .filter((e) => !e.finalRead)
      .sort((a, b) => (a.readAt ?? -Infinity) - (b.readAt ?? -Infinity) || (a.arn < b.arn ? -1 : 1));
    const budget = Math.max(0, Math.floor(this.tokens));
    const reads = due.slice(0, budget);
    this.tokens -= reads.length;
    await mapLimit(reads, this.concurrency, async (e) => {
      try {
        const statusBefore = e.status;
        const r = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn: e.arn, reverseOrder: true, maxResults: 40, includeExecutionData: false }));
        const s = stateStatuses(r.events ?? [], e.status);
        e.recent = s.recent;
        if (s.current !== undefined) e.current = s.current;
        e.readAt = this.now();
        if (statusBefore !== 'RUNNING' && (r.events ?? []).some((ev) => /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(ev.type ?? ''))) e.finalRead = true;
      } catch (err) {
        problems.push(`GetExecutionHistory ${e.name}: ${describe(err)}`);
      }
    });

    // 5. MGN, 200 ids a call, each account of MGN's global view with its accountID
    const byAccount = new Map<string, Set<string>>();
    for (const e of shown) {
      const run = e.input as RunInput;
      const key = run.account ?? '';
      byAccount.set(key, (byAccount.get(key) ?? new Set()).add(run.serverId));
    }
    const servers = new Map<string, SourceServer>();
    const batches = [...byAccount].flatMap(([account, ids]) => chunks([...ids], 200).map((chunk) => ({ account, chunk })));
    await mapLimit(batches, 4, async ({ account, chunk }) => {
      let nextToken: string | undefined;
      try {
        do {
          const r = await this.mgn.send(new DescribeSourceServersCommand({ ...(account ? { accountID: account } : {}), filters: { sourceServerIDs: chunk }, maxResults: 200, ...(nextToken ? { nextToken } : {}) }));
          for (const s of r.items ?? []) if (s.sourceServerID) servers.set(s.sourceServerID, s);
          nextToken = r.nextToken;
        } while (nextToken);
      } catch (err) {
        problems.push(`DescribeSourceServers: ${describe(err)}`);
      }
    });

    // 6. the board
    const graphs = new Map<string, AslGraph | undefined>();
    for (const m of new Set(shown.map((e) => e.stateMachineArn))) graphs.set(m, await this.machineGraph(m).catch(() => undefined));
    const counts = { running: 0, waiting: 0, succeeded: 0, failed: 0, aborted: 0, total: 0 };
    const waves = new Map<string, Map<string, ServerView[]>>();
    const now = this.now();
    for (const e of shown) {
      const run = e.input as RunInput;
      const s = servers.get(run.serverId);
      const hostname = s?.sourceProperties?.identificationHints?.hostname ?? this.hostnames.get(run.serverId);
      if (hostname) this.hostnames.set(run.serverId, hostname);
      const mgnView = s
        ? {
            ...(s.lifeCycle?.state ? { lifeCycle: s.lifeCycle.state } : {}),
            ...(s.dataReplicationInfo?.dataReplicationState ? { replication: s.dataReplicationInfo.dataReplicationState } : {}),
            ...(s.dataReplicationInfo?.lagDuration ? { lagDuration: s.dataReplicationInfo.lagDuration } : {}),
            isArchived: s.isArchived === true,
          }
        : undefined;
      const node = e.current ? graphs.get(e.stateMachineArn)?.nodes.find((n) => n.id === e.current) : undefined;
      const status = deriveStatus(e.status, node);
      const view: ServerView = {
        serverId: run.serverId,
        ...(hostname ? { hostname } : {}),
        executionArn: e.arn,
        executionName: e.name,
        status,
        executionStatus: e.status,
        phase: derivePhase(e.recent ?? [], mgnView),
        ...(e.current ? { state: e.current } : {}),
        ...(e.readAt !== undefined && e.status === 'RUNNING' ? { stateAgeS: Math.round((now - e.readAt) / 100) / 10 } : {}),
        ...(mgnView ? { mgn: mgnView } : {}),
        ...(e.error ? { error: e.error } : {}),
        ...(e.cause ? { cause: e.cause } : {}),
        ...(e.startDate ? { startDate: e.startDate.toISOString() } : {}),
        ...(e.stopDate ? { stopDate: e.stopDate.toISOString() } : {}),
      };
      if (status === 'waiting' && node?.kind === 'gate') view.gate = { state: node.id, gate: node.gate ?? node.id, approvers: gateApprovers(node, run.raw) };
      if (status === 'waiting' && node?.kind === 'hold') view.hold = { state: node.id, why: node.why ?? 'held' };
      counts[status]++;
      counts.total++;
      const apps = waves.get(run.wave) ?? new Map<string, ServerView[]>();
      waves.set(run.wave, apps);
      const list = apps.get(run.application) ?? [];
      apps.set(run.application, list);
      list.push(view);
    }
    const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
    return {
      generatedAt: new Date().toISOString(),
      buildMs: Math.round(this.now() - started),
      phases: PHASES,
      phaseLabels: PHASE_LABELS,
      counts,
      waves: [...waves.entries()]
        .sort(([a], [b]) => byName(a, b))
        .map(([wave, apps]) => ({
          wave,
          applications: [...apps.entries()]
            .sort(([a], [b]) => byName(a, b))
            .map(([application, servers]) => ({ application, servers: servers.sort((a, b) => byName(a.hostname ?? a.serverId, b.hostname ?? b.serverId)) })),
        })),
      problems: problems.slice(0, 20),
    };
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.rate);
    this.tokensAt = now;
  }

  private async machineGraph(stateMachineArn: string): Promise<AslGraph> {
    const have = this.graphs.get(stateMachineArn);
    if (have) return have;
    const d = await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    const g = parseDefinition(d.definition ?? '{}');
    this.graphs.set(stateMachineArn, g);
    return g;
  }

  /** One execution's graph: its definition laid out (cached per definition) and its states' colours. */
  async getGraph(executionArn: string): Promise<ExecutionGraph> {
    const d = await this.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    const definition = d.definition ?? '{}';
    let laid = this.layouts.get(definition);
    if (!laid) {
      const graph = parseDefinition(definition);
      laid = { graph, layout: layoutGraph(graph) };
      this.layouts.set(definition, laid);
    }
    if (d.stateMachineArn) this.machineOf.set(executionArn, d.stateMachineArn);
    const s = await this.getStates(executionArn);
    return { executionArn, name: s.name, status: s.status, stateMachineArn: d.stateMachineArn ?? '', layout: laid.layout, states: s.states };
  }

  /** The states' colours, from the execution's history; reads only the events added since the last call. */
  async getStates(executionArn: string): Promise<{ executionArn: string; name: string; status: string; states: ExecutionStates }> {
    const d = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const status = d.status ?? 'RUNNING';
    const h = await this.history(executionArn, status !== 'RUNNING');
    return { executionArn, name: d.name ?? '', status, states: stateStatuses(h.events, status) };
  }

  private async history(executionArn: string, closed: boolean): Promise<HistoryCache> {
    const cached = this.histories.get(executionArn);
    if (cached?.final) {
      cached.usedAt = this.now();
      return cached;
    }
    const h: HistoryCache = cached ?? { events: [], lastId: 0, final: false, usedAt: 0 };
    if (h.lastId === 0) {
      let nextToken: string | undefined;
      do {
        const r = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: false, ...(nextToken ? { nextToken } : {}) }));
        h.events.push(...(r.events ?? []));
        nextToken = r.nextToken;
      } while (nextToken);
    } else {
      // newest first until the events we have
      const fresh: HistoryEvent[] = [];
      let nextToken: string | undefined;
      read: do {
        const r = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, includeExecutionData: false, ...(nextToken ? { nextToken } : {}) }));
        for (const ev of r.events ?? []) {
          if ((ev.id ?? 0) <= h.lastId) break read;
          fresh.push(ev);
        }
        nextToken = r.nextToken;
      } while (nextToken);
      h.events.push(...fresh.reverse());
    }
    h.lastId = Math.max(h.lastId, ...h.events.map((e) => e.id ?? 0));
    h.final = closed && h.events.some((ev) => /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(ev.type ?? ''));
    h.usedAt = this.now();
    this.histories.set(executionArn, h);
    if (this.histories.size > 200) {
      const oldest = [...this.histories.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0];
      if (oldest) this.histories.delete(oldest[0]);
    }
    return h;
  }
}

function parseRun(input: string | undefined): RunInput | null {
  try {
    const raw = JSON.parse(input ?? 'null') as Record<string, unknown> | null;
    if (!raw || typeof raw.serverId !== 'string') return null;
    const account = (raw.plan as { account?: unknown } | undefined)?.account;
    return { wave: typeof raw.wave === 'string' ? raw.wave : '(no wave)', application: typeof raw.application === 'string' ? raw.application : raw.serverId, serverId: raw.serverId, ...(typeof account === 'string' ? { account } : {}), raw };
  } catch {
    return null;
  }
}

function describe(err: unknown): string {
  const e = err as Error;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`.slice(0, 300);
}

