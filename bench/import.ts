// The import benchmark: the real Worker under `wrangler dev` (local D1), CSV files imported in one
// call each through the admin API, as an operator would with curl. For each size, against a fresh
// local database:
//  - the wall time of the call;
//  - the memory of the workerd process that runs the Worker (VmRSS sampled every 50 ms, and VmHWM,
//    the kernel's own peak, from /proc/<pid>/status) against its VmRSS just before, and its CPU time.
//    wrangler's local D1 (a Durable Object with SQLite) runs in that same process, so its memory and
//    CPU are included;
//  - the Worker's own V8 heap, read through wrangler's inspector (Runtime.getHeapUsage every 100 ms):
//    peak used and peak committed, and what is left after a garbage collection at the end;
//  - with --live, a second file of the same size imported while the inspector forces a garbage
//    collection every second: the peak of the heap that is actually in use (the committed heap is V8's
//    choice under heavy allocation; this is what the import holds).
//
//   npx tsx bench/import.ts --live                   50,000 rows, then 1,000,000 rows (about 35 MB)
//   npx tsx bench/import.ts --rows 50000,200000 --status pending
//
// Linux only (it reads /proc).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { run, sleep, stop, waitForHealth } from './processes.ts';

const root = join(import.meta.dirname, '..');
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000,1000000' },
    status: { type: 'string', default: 'confirmed' },
    port: { type: 'string', default: '8798' },
    live: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log('npx tsx bench/import.ts [--rows 50000,1000000] [--status confirmed|pending] [--live] [--port 8798 (and the next one for the inspector)]');
  process.exit(0);
}
const SIZES = flags.rows!.split(',').map((n) => positiveInt('rows', n));
const STATUS = flags.status!;
if (STATUS !== 'confirmed' && STATUS !== 'pending') fail('--status must be confirmed or pending');
const PORT = positiveInt('port', flags.port!);
const INSPECTOR_PORT = PORT + 1;

interface Row {
  rows: number;
  megabytes: number;
  seconds: number;
  rowsPerSecond: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  hwmAfterMiB: number;
  growthMiB: number;
  cpuSeconds: number;
  heapBeforeMiB: number;
  heapPeakUsedMiB: number | null;
  heapPeakCommittedMiB: number | null;
  heapAfterGcMiB: number;
  heapLivePeakMiB: number | null;
  heapLiveCommittedMiB: number | null;
}


async function measure(n: number): Promise<Row> {
  console.log(`\n== ${n.toLocaleString('en')} rows as ${STATUS}`);
  const persist = mkdtempSync(join(tmpdir(), 'newsletter-import-bench-'));
  let server: ChildProcess | null = null;
  let inspector: Inspector | null = null;
  const lines: string[] = [];
  try {
    await run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist]);
    server = startServer(persist, lines);
    await waitForHealth(PORT);
    // Warm up (the first request compiles the Worker and opens the database), then let it settle.
    await importCsv(new TextEncoder().encode('email\nwarm-up@import.example\n'));
    await sleep(1000);
    const pid = workerdPid(server.pid!, persist);
    inspector = await Inspector.connect(INSPECTOR_PORT);
    await inspector.collectGarbage();
    const heapBefore = await inspector.heapUsage();
    const before = memory(pid);
    const cpuBefore = cpuSeconds(pid);
    let peak = before.rss;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, memory(pid).rss);
      } catch {
        // the process is gone; the call below fails too
      }
    }, 50);
    const csv = file(n, 'a');
    const started = performance.now();
    const heap = sampleHeap(inspector, false);
    const report = await importCsv(csv).finally(() => heap.stop());
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const after = memory(pid);
    const cpuAfter = cpuSeconds(pid);
    peak = Math.max(peak, after.rss);
    if (report.imported !== n) fail(`expected ${n} imported, got ${JSON.stringify(report).slice(0, 300)}`);
    const heapPeak = await heap.result;
    await inspector.collectGarbage();
    const heapAfter = await inspector.heapUsage();

    let livePeak: number | null = null;
    let liveCommitted: number | null = null;
    if (flags.live) {
      // The same work again (new addresses), with a full collection every second: the heap in use.
      const live = sampleHeap(inspector, true);
      const again = await importCsv(file(n, 'b')).finally(() => live.stop());
      if (again.imported !== n) fail(`expected ${n} imported, got ${JSON.stringify(again).slice(0, 300)}`);
      const livePeakHeap = await live.result;
      livePeak = livePeakHeap?.used ?? null;
      liveCommitted = livePeakHeap?.committed ?? null;
    }

    const row: Row = {
      rows: n,
      megabytes: round(csv.length / 1e6),
      seconds: round(seconds),
      rowsPerSecond: Math.round(n / seconds),
      rssBeforeMiB: mib(before.rss),
      rssPeakMiB: mib(peak),
      hwmAfterMiB: mib(after.hwm),
      growthMiB: mib(Math.max(peak, after.hwm) - before.rss),
      cpuSeconds: round(cpuAfter - cpuBefore),
      heapBeforeMiB: mib(heapBefore.used),
      heapPeakUsedMiB: heapPeak ? mib(heapPeak.used) : null,
      heapPeakCommittedMiB: heapPeak ? mib(heapPeak.committed) : null,
      heapAfterGcMiB: mib(heapAfter.used),
      heapLivePeakMiB: livePeak === null ? null : mib(livePeak),
      heapLiveCommittedMiB: liveCommitted === null ? null : mib(liveCommitted),
    };
    console.log(
      `imported ${n} rows (${row.megabytes} MB) in ${row.seconds} s; workerd RSS ${row.rssBeforeMiB} → peak ${row.rssPeakMiB} MiB (VmHWM ${row.hwmAfterMiB} MiB), CPU ${row.cpuSeconds} s; ` +
        `Worker heap ${row.heapBeforeMiB} MiB before, peak ${row.heapPeakUsedMiB} used / ${row.heapPeakCommittedMiB} committed, ${row.heapAfterGcMiB} after GC` +
        (livePeak === null ? '' : `; with a GC every second: peak ${row.heapLivePeakMiB} used / ${row.heapLiveCommittedMiB} committed`),
    );
    return row;
  } catch (error) {
    console.error(`\nfailed: ${(error as Error).message}\nlast server log lines:\n${lines.slice(-30).join('\n')}`);
    throw error;
  } finally {
    inspector?.close();
    if (server) await stop(server);
    rmSync(persist, { recursive: true, force: true });
  }
}

/** N rows of `email,name`, about 37 bytes each: a million is about 35 MiB. */
function file(n: number, tag: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode('email,name\n' + Array.from({ length: n }, (_, i) => `${tag}${i}@import.example,Reader ${i}`).join('\n') + '\n');
}

/**
 * Reads the Worker's heap one call at a time until stopped (every 100 ms; with `collect`, a full
 * collection before each reading, every second). The peaks, or null when a reading failed (then the
 * peak is unknown rather than understated); a failure never stops the import being measured.
 */
function sampleHeap(inspector: Inspector, collect: boolean): { stop: () => void; result: Promise<{ used: number; committed: number } | null> } {
  let running = true;
  const result = (async () => {
    let peak = null as { used: number; committed: number } | null;
    let failed = false;
    while (running) {
      await sleep(collect ? 1000 : 100);
      try {
        if (collect) await inspector.collectGarbage();
        const h = await inspector.heapUsage();
        peak = { used: Math.max(peak?.used ?? 0, h.used), committed: Math.max(peak?.committed ?? 0, h.committed) };
      } catch (error) {
        console.warn(`heap reading failed: ${(error as Error).message}`);
        failed = true;
      }
    }
    return failed ? null : peak;
  })();
  return { stop: () => (running = false), result };
}

/** The Chrome DevTools protocol on wrangler's inspector port: the Worker's own isolate. */
class Inspector {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: Record<string, number>) => void>();
  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, number> };
      if (message.id !== undefined) this.waiting.get(message.id)?.(message.result ?? {});
      if (message.id !== undefined) this.waiting.delete(message.id);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const [target] = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
    // wrangler's inspector proxy only lets a local Origin in (Node's WebSocket takes headers in an undici option).
    const url = target.webSocketDebuggerUrl.replace('localhost', '127.0.0.1');
    const socket = new WebSocket(url, { headers: { origin: 'http://localhost' } } as unknown as string[]);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve);
      socket.addEventListener('error', () => reject(new Error(`cannot open the inspector at ${url}`)));
    });
    const inspector = new Inspector(socket);
    await inspector.call('HeapProfiler.enable');
    return inspector;
  }

  call(method: string): Promise<Record<string, number>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method} within 30 s`)), 30_000);
      this.waiting.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.socket.send(JSON.stringify({ id, method }));
    });
  }

  async heapUsage(): Promise<{ used: number; committed: number }> {
    const usage = await this.call('Runtime.getHeapUsage');
    return { used: usage.usedSize, committed: usage.totalSize };
  }

  /** workerd runs this command only when something wakes the isolate: a request to /health does. */
  async collectGarbage(): Promise<void> {
    let answered = false;
    const done = this.call('HeapProfiler.collectGarbage').then(() => {
      answered = true;
    });
    while (!answered) {
      await Promise.race([done, sleep(200)]);
      if (!answered) await fetch(`http://127.0.0.1:${PORT}/health`).catch(() => {});
    }
  }

  close(): void {
    this.socket.close();
  }
}

// The run itself comes after the class above (a class is not hoisted).
const results: Row[] = [];
for (const n of SIZES) results.push(await measure(n));
printTable(results);
const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}`;
console.log(`\n${machine}\n${JSON.stringify({ status: STATUS, results })}`);

function startServer(persist: string, lines: string[]): ChildProcess {
  const args = ['wrangler', 'dev', '--port', String(PORT), '--inspector-port', String(INSPECTOR_PORT), '--persist-to', persist, '--log-level', 'log', '--var', `ADMIN_TOKEN:${ADMIN_TOKEN}`];
  const child = spawn('npx', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' } });
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return child;
}

async function importCsv(body: Uint8Array<ArrayBuffer>): Promise<{ imported: number; skipped: number; invalid: unknown[] }> {
  const response = await fetch(`http://127.0.0.1:${PORT}/api/subscribers/import?status=${STATUS}`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv', accept: 'application/json' },
  });
  const text = await response.text();
  if (!response.ok) fail(`import: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/**
 * The workerd process under the wrangler we started that runs the Worker: wrangler also starts one for
 * its own proxy, so it is told apart by the local database files it has open.
 */
function workerdPid(ancestor: number, persist: string): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'workerd') found.push(child);
      walk(child);
    }
  };
  walk(ancestor);
  const opensDatabase = (pid: number) =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(persist);
      } catch {
        return false;
      }
    });
  const runtime = found.filter(opensDatabase);
  if (runtime.length !== 1) fail(`expected one workerd process with the local database open, found ${runtime.length} (of ${found.length} workerd processes)`);
  return runtime[0];
}

/** VmRSS and VmHWM in bytes. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** User + system CPU time of the process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function printTable(rows: Row[]): void {
  const columns: [string, (r: Row) => string][] = [
    ['rows', (r) => r.rows.toLocaleString('en')],
    ['MB', (r) => r.megabytes.toFixed(1)],
    ['wall s', (r) => r.seconds.toFixed(2)],
    ['rows/s', (r) => r.rowsPerSecond.toLocaleString('en')],
    ['workerd RSS before MiB', (r) => r.rssBeforeMiB.toFixed(0)],
    ['peak RSS MiB', (r) => r.rssPeakMiB.toFixed(0)],
    ['VmHWM MiB', (r) => r.hwmAfterMiB.toFixed(0)],
    ['growth MiB', (r) => r.growthMiB.toFixed(0)],
    ['workerd CPU s', (r) => r.cpuSeconds.toFixed(1)],
    ['Worker heap before MiB', (r) => r.heapBeforeMiB.toFixed(0)],
    ['heap peak used / committed MiB', (r) => (r.heapPeakUsedMiB === null ? '-' : `${r.heapPeakUsedMiB.toFixed(0)} / ${r.heapPeakCommittedMiB!.toFixed(0)}`)],
    ['heap after GC MiB', (r) => r.heapAfterGcMiB.toFixed(0)],
    ['with GC every s: heap peak used / committed MiB', (r) => (r.heapLivePeakMiB === null ? '-' : `${r.heapLivePeakMiB.toFixed(0)} / ${r.heapLiveCommittedMiB!.toFixed(0)}`)],
  ];
  const widths = columns.map(([h, f]) => Math.max(h.length, ...rows.map((r) => f(r).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log('\n' + line(columns.map(([h]) => h)));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(columns.map(([, f]) => f(r))));
}

function mib(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function fail(message: string): never {
  throw new Error(`bench/import: ${message}`);
}
