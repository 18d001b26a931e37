/**
 * `npm run bench`: prints a table and writes bench/results.json, one key per figure, each with the server
 * count, time scale and quotas it ran under. Figures are measured in one run on the same machine; compare
 * ratios, not absolute numbers, across machines.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Agent, request } from 'node:http';
import { DescribeSourceServersCommand, MgnClient } from '@aws-sdk/client-mgn';

interface Figure {
  value: number;
  unit: string;
  servers: number;
  timeScale: number | 'manual';
  quotas: Record<string, number>;
  note: string;
}

const results: Record<string, Figure> = {};

async function startEmulatorProcess(args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['bin/mgn-flow.js', 'emulator', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** One keep-alive HTTP caller speaking MGN's wire protocol without the SDK's parsing cost. */
function rawCaller(url: string, agent: Agent) {
  const { hostname, port } = new URL(url);
  return (body: string) =>
    new Promise<Buffer>((resolve, reject) => {
      const req = request(
        { hostname, port, path: '/DescribeSourceServers', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/**
 * emulatorRequestsPerS / emulatorRssMb: DescribeSourceServers, 100 per page, 16 concurrent callers over
 * loopback (raw keep-alive HTTP in this process, the emulator in its own); emulatorSdkRequestsPerS: the same
 * with 16 real SDK clients, whose JSON deserialization then dominates.
 */
async function emulatorThroughput(): Promise<void> {
  const servers = 1000;
  const quotas = { maxActiveSourceServers: 1000 };
  const emu = await startEmulatorProcess([
    '--servers', String(servers), '--seed', '1', '--time-scale', '60', '--start', 'ready-for-test',
    '--quota', `maxActiveSourceServers=${quotas.maxActiveSourceServers}`,
  ]);
  try {
    const callers = 16;
    const durationMs = 6000;
    {
      const agent = new Agent({ keepAlive: true, maxSockets: callers });
      const call = rawCaller(emu.url, agent);
      let requests = 0;
      const start = performance.now();
      const deadline = start + durationMs;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          let nextToken: string | undefined;
          while (performance.now() < deadline) {
            const body = await call(JSON.stringify({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
            requests++;
            // only the tail carries the token; the 240 KB of servers are received, not parsed
            nextToken = /"nextToken":"([^"]+)"\}$/.exec(body.subarray(-400).toString('utf8'))?.[1];
          }
        }),
      );
      const elapsedS = (performance.now() - start) / 1000;
      agent.destroy();
      results.emulatorRequestsPerS = {
        value: Math.round(requests / elapsedS),
        unit: 'requests/s',
        servers,
        timeScale: 60,
        quotas,
        note: `DescribeSourceServers, 100 per page (~240 KB each), ${callers} concurrent keep-alive callers over loopback, ${elapsedS.toFixed(1)} s (aim >= 2000)`,
      };
    }
    const clients = Array.from({ length: callers }, () =>
      new MgnClient({ region: 'us-east-1', endpoint: emu.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    );
    // warm-up
    await Promise.all(clients.map((c) => c.send(new DescribeSourceServersCommand({ maxResults: 100 }))));
    let requests = 0;
    let items = 0;
    const start = performance.now();
    const deadline = start + durationMs;
    await Promise.all(
      clients.map(async (c) => {
        let nextToken: string | undefined;
        while (performance.now() < deadline) {
          const r = await c.send(new DescribeSourceServersCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
          requests++;
          items += r.items?.length ?? 0;
          nextToken = r.nextToken;
        }
      }),
    );
    const elapsedS = (performance.now() - start) / 1000;
    const metrics = (await (await fetch(`${emu.url}/_emulator/metrics`)).json()) as { rssBytes: number };
    for (const c of clients) c.destroy();
    results.emulatorSdkRequestsPerS = {
      value: Math.round(requests / elapsedS),
      unit: 'requests/s',
      servers,
      timeScale: 60,
      quotas,
      note: `the same through ${callers} @aws-sdk/client-mgn clients (SDK parsing included), ${items} servers returned`,
    };
    results.emulatorRssMb = {
      value: Math.round(metrics.rssBytes / 1024 / 1024),
      unit: 'MB',
      servers,
      timeScale: 60,
      quotas,
      note: 'resident set size of the emulator process after the throughput run',
    };
  } finally {
    await emu.stop();
  }
}

const benches: [string, () => Promise<void>][] = [['emulator throughput and memory', emulatorThroughput]];

const wallStart = performance.now();
for (const [name, run] of benches) {
  process.stderr.write(`bench: ${name}...\n`);
  await run();
}
const rows = Object.entries(results).map(([k, f]) => [k, String(f.value), f.unit, String(f.servers), String(f.timeScale), f.note]);
const header = ['figure', 'value', 'unit', 'servers', 'scale', 'conditions'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
process.stdout.write(`${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
process.stdout.write(`bench took ${((performance.now() - wallStart) / 1000).toFixed(1)} s\n`);
writeFileSync('bench/results.json', `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
