// The sending benchmark: the real Worker under `wrangler dev` (local D1 and Queue) against the fake
// Resend on loopback, which enforces a request rate with one of three honest limiters (token bucket,
// sliding window, fixed window: tests/support/node/limiters.ts) and can inject faults.
//
//   npm run bench                                   N=20000 at 10 req/s, clean and faulty, on each limiter
//   npm run bench -- --limiter sliding --scenario clean
//   npm run bench -- --scenario storm,outage,slow-account
//   npm run bench -- --n 100000 --rate 10 --scenario clean
//   npm run bench -- --faults 429=0.05,500=0.05,lost=0.05 --scenario faults
//   npm run bench -- --limiter sliding --scenario clean,slow-account,foreign --jitter 50
//   npm run bench -- --limiter sliding --scenario foreign --jitter 50 --foreign-pattern bursty
//
// BENCH_VERBOSE=1 prints the Worker's log lines as they come.
//
// Scenarios: clean; faults (random 429s, 500s and lost answers); storm (every request refused with
// 429 for 60 s mid-send); outage (503 for 120 s mid-send); slow-account (the provider enforces half
// the configured rate); foreign (another app on the same Resend team uses 30 % of the team's limit,
// which is shared; `--foreign-pattern bursty`: its requests come at random moments, a Poisson process,
// instead of evenly spaced). `--jitter MS`: every request reaches the fake's limiter 0..MS late, stamped after
// its body (a network and a body-reading gateway); 0 stamps on arrival, before the body. Per scenario and limiter: a fresh local database, N confirmed readers imported
// through the admin API, one issue sent through the admin API, waited on through its stats, then
// checked at the fake: duplicates and missing readers. Prints a table and writes bench/results.json.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { run, sleep, stop, waitForHealth } from './processes.ts';
import type { FakeResendOptions, FakeResendState } from '../tests/support/node/fake-resend.ts';
import { LIMITER_KINDS, type LimiterKind } from '../tests/support/node/limiters.ts';
import { CRONS } from '../src/triggers.ts';

const root = join(import.meta.dirname, '..');
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const API_KEY = 're_bench_key';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '10' },
    scenario: { type: 'string', default: 'clean,faults' },
    limiter: { type: 'string', default: LIMITER_KINDS.join(',') },
    faults: { type: 'string', default: '429=0.05,500=0.05,lost=0.05' },
    port: { type: 'string', default: '8797' },
    'canary-wait': { type: 'string', default: '0.5' },
    jitter: { type: 'string', default: '0' },
    foreign: { type: 'string', default: '0.3' },
    'foreign-pattern': { type: 'string', default: 'even' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(
    'npm run bench -- [--n 20000] [--rate 10] [--scenario clean,faults,storm,outage,slow-account,foreign,canary,housekeeping] [--limiter token,sliding,fixed] [--faults 429=0.05,500=0.05,lost=0.05] [--jitter MS] [--foreign 0.3] [--foreign-pattern even|bursty] [--port 8797]',
  );
  process.exit(0);
}
const N = positiveInt('n', flags.n!);
const RATE = positiveInt('rate', flags.rate!);
const PORT = positiveInt('port', flags.port!);
const FAULTS = parseFaults(flags.faults!);
const JITTER_MS = Number(flags.jitter);
if (!(JITTER_MS >= 0)) fail('--jitter takes milliseconds, e.g. 50');
/** The other app's share of the team's limit in the foreign scenario. */
const FOREIGN_SHARE = Number(flags.foreign);
if (!(FOREIGN_SHARE > 0 && FOREIGN_SHARE < 1)) fail('--foreign takes a share of the limit, e.g. 0.3');
/** How the other app's requests come: evenly spaced (±20 %) or bursty (Poisson). */
const FOREIGN_PATTERN = flags['foreign-pattern'] as 'even' | 'bursty';
if (FOREIGN_PATTERN !== 'even' && FOREIGN_PATTERN !== 'bursty') fail('--foreign-pattern takes even or bursty');
const SCENARIOS = ['clean', 'faults', 'storm', 'outage', 'slow-account', 'foreign', 'canary', 'housekeeping'] as const;
type Scenario = (typeof SCENARIOS)[number];
const scenarios = (flags.scenario === 'both' ? 'clean,faults' : flags.scenario!).split(',') as Scenario[];
if (!scenarios.every((s) => SCENARIOS.includes(s))) fail(`--scenario takes a comma-separated list of ${SCENARIOS.join(', ')}`);
const limiters = flags.limiter!.split(',') as LimiterKind[];
if (!limiters.every((l) => LIMITER_KINDS.includes(l))) fail(`--limiter takes a comma-separated list of ${LIMITER_KINDS.join(', ')}`);
/** CANARY_WAIT_MINUTES of the canary scenario (CANARY_PERCENT is the default, 2). */
const CANARY_WAIT_MINUTES = Number(flags['canary-wait']);
if (!(CANARY_WAIT_MINUTES >= 0)) fail('--canary-wait takes minutes, e.g. 0.5');
/** How long a storm or an outage lasts, mid-send. */
const DISRUPTION_SECONDS: Partial<Record<Scenario, number>> = { storm: 60, outage: 120 };

interface Row {
  scenario: string;
  limiter: string;
  n: number;
  rate: number;
  faults: string;
  resendRequests: number;
  wallSeconds: number;
  emailsPerSecond: number;
  ceilingSeconds: number;
  ratio: number;
  duplicates: number;
  missing: number;
  paceLimited429: number;
  injected429: number;
  serverErrors: number;
  lostAnswers: number;
  paceLimited429Percent: number;
  /** The fake's model: arrival jitter (ms) and the other app's requests and refusals (foreign scenario). */
  jitterMs: number;
  /** How the other app's requests came (foreign scenario): evenly spaced or bursty. */
  foreignPattern: 'even' | 'bursty' | null;
  foreignRequests: number;
  foreign429: number;
  foreign429Percent: number;
  d1RowsWrittenPerRecipient: number;
  /** workerd's CPU time (user + system) over the send, per reader. */
  cpuMsPerRecipient: number;
  importSeconds: number;
}

const rows: Row[] = [];
const housekeeping: { chunks: number; medianMs: number; maxMs: number }[] = [];
for (const scenario of scenarios) {
  if (scenario === 'housekeeping') housekeeping.push(...(await runHousekeeping()));
  else for (const limiter of limiters) rows.push(await runScenario(scenario, limiter));
}
if (rows.length > 0) printTable(rows);
if (housekeeping.length > 0) {
  console.log('\n| chunks of a healthy send | housekeeping run, median ms | slowest ms |\n|---|---|---|');
  for (const h of housekeeping) console.log(`| ${h.chunks} | ${h.medianMs} | ${h.maxMs} |`);
}
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
// The raw results of every run, kept (bench/results/): the README's table names the file it comes from.
const ranAt = new Date().toISOString();
const file = `bench/results/${ranAt.replace(/[:.]/g, '-')}.json`;
const command = process.argv.length > 2 ? `npm run bench -- ${process.argv.slice(2).join(' ')}` : 'npm run bench';
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, file), JSON.stringify({ ranAt, command, loadAverage: loadavg(), machine, rows, housekeeping }, null, 2) + '\n');
console.log(`\nwrote ${file} (${machine.cpus} cores, ${machine.memoryGiB} GiB, ${machine.cpuModel}, node ${machine.node}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);

async function runScenario(scenario: Scenario, limiter: LimiterKind): Promise<Row> {
  const faults = scenario === 'faults' ? FAULTS : { rateLimited: 0, serverError: 0, lostAnswer: 0 };
  // The account's real limit: half the setting for slow-account.
  const providerRate = scenario === 'slow-account' ? RATE / 2 : RATE;
  // What is left to us when another app uses a share of the team's limit: the ceiling is computed on it.
  const ourRate = scenario === 'foreign' ? providerRate * (1 - FOREIGN_SHARE) : providerRate;
  // The canary's wait is part of the time the send is allowed.
  const disruption = DISRUPTION_SECONDS[scenario] ?? (scenario === 'canary' ? CANARY_WAIT_MINUTES * 60 : 0);
  console.log(`\n== ${scenario} (${limiter} limiter): N=${N}, ${RATE} requests/s configured, ${providerRate}/s enforced${scenario === 'foreign' ? ` for the team, ${FOREIGN_SHARE * 100} % of it used by another app (${FOREIGN_PATTERN})` : ''}, jitter 0-${JITTER_MS} ms, faults ${describeFaults(faults)}`);
  const fake = await startFakeProcess({ ratePerSecond: providerRate, limiter, faults, keepBodies: false, apiKey: API_KEY, seed: 42, jitterMs: JITTER_MS });
  const persist = mkdtempSync(join(tmpdir(), 'newsletter-bench-'));
  const logs = { rowsWritten: 0, lines: [] as string[] };
  let server: ChildProcess | null = null;
  try {
    await run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist]);
    server = startServer(persist, fake, logs, scenario === 'canary' ? { CANARY_PERCENT: '2', CANARY_WAIT_MINUTES: String(CANARY_WAIT_MINUTES) } : {});
    await waitForHealth(PORT);

    const csv = 'email,name\n' + Array.from({ length: N }, (_, i) => `reader-${i}@bench.example,Reader ${i}`).join('\n') + '\n';
    const importStart = performance.now();
    const imported = await api('POST', '/api/subscribers/import?status=confirmed', csv, 'text/csv');
    const importSeconds = (performance.now() - importStart) / 1000;
    console.log(`imported ${imported.imported} readers in ${importSeconds.toFixed(2)} s`);
    if (imported.imported !== N) fail(`expected ${N} imported, got ${JSON.stringify(imported).slice(0, 300)}`);

    const { issues } = await api('GET', '/api/issues');
    const issue = issues.find((i: { status: string }) => i.status === 'ready');
    if (!issue) fail('no ready article to send: content/ needs an article dated today or earlier');

    await fake.reset(); // count only the send
    if (scenario === 'foreign') await fake.configure({ foreignLoad: { share: FOREIGN_SHARE, pattern: FOREIGN_PATTERN } });
    const cpuBefore = workerdCpuMs(server);
    const start = performance.now();
    await api('POST', `/api/issues/${issue.slug}/send`);
    let stats;
    let lastPrint = 0;
    let disrupted = false;
    const ceilingSeconds = N / 100 / ourRate + disruption;
    for (;;) {
      stats = await api('GET', `/api/issues/${issue.slug}/stats`);
      const elapsed = (performance.now() - start) / 1000;
      if (stats.pending === 0 && stats.sent + stats.failed + stats.unknown >= N) break;
      if (DISRUPTION_SECONDS[scenario] && !disrupted && stats.sent >= N / 4) {
        // Mid-send: every request refused (a storm of 429s, or a 503 outage) for a while.
        disrupted = true;
        await fake.configure({ forceStatus: { status: scenario === 'storm' ? 429 : 503, untilMs: Date.now() + disruption * 1000 } });
        console.log(`  ${elapsed.toFixed(0).padStart(4)} s  ${scenario}: every request refused for ${disruption} s`);
      }
      if (elapsed - lastPrint >= 2) {
        lastPrint = elapsed;
        process.stdout.write(`  ${elapsed.toFixed(0).padStart(4)} s  sent ${stats.sent}/${N}  failed ${stats.failed}  (${(stats.sent / elapsed).toFixed(0)} emails/s)\n`);
      }
      // A hung send fails the run; a large one on a small machine is bound by its CPU (about 2 ms a reader at worst).
      if (elapsed > Math.max(180, ceilingSeconds * 4, N / 500)) fail(`send did not finish in time: ${JSON.stringify(stats)}`);
      // Polling is load on the Worker it measures (each poll is a request, an authentication and a
      // read): at 100 ms it cost a quarter of the Worker's CPU in a send and delayed the uploads of
      // batches. Once a second until the end is near, then every 100 ms so the end is timed closely.
      await sleep(stats.sent + stats.failed + stats.unknown < N * 0.9 ? 1000 : 100);
    }
    const wallSeconds = (performance.now() - start) / 1000;
    const cpuMs = workerdCpuMs(server) - cpuBefore;
    const state = await fake.state();
    const counts = Object.values(state.recipients ?? {}) as number[];
    const duplicates = counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const missing = N - counts.length;
    const requests = state.counters.requests;
    await sleep(500); // let the last chunk's log line arrive
    return {
      scenario,
      limiter,
      n: N,
      rate: RATE,
      faults: describeFaults(faults),
      resendRequests: requests,
      wallSeconds: round(wallSeconds),
      emailsPerSecond: Math.round(N / wallSeconds),
      ceilingSeconds: round(ceilingSeconds),
      ratio: round(ceilingSeconds / wallSeconds),
      duplicates,
      missing,
      paceLimited429: state.counters.paceLimited429,
      injected429: state.counters.injected429,
      serverErrors: state.counters.serverErrors,
      lostAnswers: state.counters.lostAnswers,
      paceLimited429Percent: round((100 * state.counters.paceLimited429) / Math.max(1, requests)),
      jitterMs: JITTER_MS,
      foreignPattern: scenario === 'foreign' ? FOREIGN_PATTERN : null,
      foreignRequests: state.counters.foreignRequests,
      foreign429: state.counters.foreign429,
      foreign429Percent: round((100 * state.counters.foreign429) / Math.max(1, state.counters.foreignRequests)),
      d1RowsWrittenPerRecipient: round(logs.rowsWritten / N),
      cpuMsPerRecipient: Math.round((cpuMs / N) * 1000) / 1000,
      importSeconds: round(importSeconds),
    };
  } catch (error) {
    console.error(`\n${scenario} failed: ${(error as Error).message}\nlast server log lines:\n${logs.lines.slice(-30).join('\n')}`);
    throw error;
  } finally {
    if (server) await stop(server);
    await fake.close();
    rmSync(persist, { recursive: true, force: true });
  }
}

/**
 * Housekeeping's cost against the size of a healthy send: a send of 1,000 and of 10,000 chunks (a
 * million readers), nothing stalled, and the maintenance cron fired several times through wrangler's
 * scheduled-event route. It should not grow with the number of chunks.
 */
async function runHousekeeping(): Promise<{ chunks: number; medianMs: number; maxMs: number }[]> {
  const results = [];
  for (const chunks of [1000, 10_000]) {
    console.log(`\n== housekeeping: one healthy send of ${chunks} chunks`);
    const persist = mkdtempSync(join(tmpdir(), 'newsletter-bench-'));
    const logs = { rowsWritten: 0, lines: [] as string[] };
    let server: ChildProcess | null = null;
    try {
      await run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist]);
      const now = Date.now();
      // A send under way (moved a minute ago) with all its chunks planned and pending.
      const sql = `INSERT INTO sends (slug, status, key_nonce, started_at, touched_at, max_subscriber_id, recipients, chunks_total, main_at, title, article_date, summary, markdown, subject, html, text)
                   VALUES ('bench-housekeeping', 'sending', 'bench', ${now - 60_000}, ${now - 60_000}, ${chunks * 100}, ${chunks * 100}, ${chunks}, 0, 't', '2026-01-01', 's', 'm', 's', 'h', 't');
                   WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < ${chunks - 1})
                   INSERT INTO send_chunks (send_id, chunk, phase, from_id, to_id, size, status) SELECT 1, n, 1, n * 100 + 1, n * 100 + 100, 100, 'pending' FROM c;`;
      await run('npx', ['wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', persist, '--command', sql]);
      server = startServer(persist, null, logs);
      await waitForHealth(PORT);
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const start = performance.now();
        const response = await fetch(`http://127.0.0.1:${PORT}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(CRONS.tick)}`);
        if (!response.ok) fail(`scheduled run: ${response.status} ${await response.text()}`);
        times.push(performance.now() - start);
      }
      times.shift(); // the first run warms the isolate up
      times.sort((a, b) => a - b);
      const result = { chunks, medianMs: round(times[Math.floor(times.length / 2)]), maxMs: round(times[times.length - 1]) };
      console.log(`housekeeping with ${chunks} chunks: median ${result.medianMs} ms, slowest ${result.maxMs} ms`);
      results.push(result);
    } finally {
      if (server) await stop(server);
      rmSync(persist, { recursive: true, force: true });
    }
  }
  return results;
}

/**
 * The fake Resend in a process of its own, driven through its control API: its event loop then
 * answers requests as they come, not after this script's own work (a provider's rate limiter sees
 * requests when they arrive; a fake that shares a busy event loop would see them late and bunched).
 */
async function startFakeProcess(options: FakeResendOptions): Promise<{ url: string; reset(): Promise<unknown>; configure(o: Partial<FakeResendOptions>): Promise<unknown>; state(): Promise<FakeResendState>; close(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'tests/support/node/fake-resend.ts'), '--port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (line) resolve(line[1]!);
      else return;
      // Anything it says later (FAKE_RESEND_TRACE=1 prints each request's arrival, body time and jitter) reaches this output.
      child.stdout!.removeAllListeners('data');
      child.stdout!.pipe(process.stdout);
    });
    child.once('exit', (code) => reject(new Error(`the fake Resend exited (${code}) before it listened`)));
  });
  const control = async (path: string, body?: unknown) => {
    const response = await fetch(`${url}/__control/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) fail(`fake ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  await control('config', options);
  return {
    url,
    reset: () => control('reset', {}),
    configure: (o) => control('config', o),
    state: () => control('state?summary=1') as Promise<FakeResendState>,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

function startServer(persist: string, fake: { url: string } | null, logs: { rowsWritten: number; lines: string[] }, extra: Record<string, string> = {}): ChildProcess {
  const vars = {
    EMAIL_TRANSPORT: fake ? 'resend' : 'outbox',
    RESEND_API_KEY: API_KEY,
    RESEND_BASE_URL: fake?.url ?? 'http://127.0.0.1:9',
    SEND_RATE_PER_SECOND: String(RATE),
    CANARY_PERCENT: '0',
    ADMIN_TOKEN,
    ...extra,
  };
  const args = ['wrangler', 'dev', '--port', String(PORT), '--persist-to', persist, '--log-level', 'log', '--test-scheduled', ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])];
  const child = spawn('npx', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' } });
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      // The benchmark's own polling says nothing: keep the Worker's lines (and every other request).
      if (!line.trim() || /GET \/api\/issues\/[^ ]+\/stats 200/.test(line)) continue;
      logs.lines.push(line);
      if (process.env.BENCH_VERBOSE) console.log(`    worker | ${line}`);
      if (logs.lines.length > 500) logs.lines.shift();
      const written = /d1 rows written (\d+)/.exec(line);
      if (written) logs.rowsWritten += Number(written[1]);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return child;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function api(method: string, path: string, body?: string, type = 'application/json'): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${PORT}${path}`, {
    method,
    body,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: 'application/json', ...(body ? { 'content-type': type } : {}) },
  });
  const text = await response.text();
  if (!response.ok) fail(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** CPU time (user + system, ms) of the workerd processes that `wrangler dev` started (its process group). */
function workerdCpuMs(server: ChildProcess): number {
  const tick = 10; // USER_HZ is 100 on Linux
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // fields[2] is the process group; [11], [12] are utime and stime in ticks.
      if (Number(fields[2]) === server.pid && comm.includes('workerd')) total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

function printTable(results: Row[]): void {
  const columns: [string, (r: Row) => string][] = [
    ['scenario', (r) => r.scenario],
    ['limiter', (r) => r.limiter],
    ['N', (r) => String(r.n)],
    ['req/s', (r) => String(r.rate)],
    ['Resend requests', (r) => String(r.resendRequests)],
    ['wall s', (r) => r.wallSeconds.toFixed(1)],
    ['emails/s', (r) => String(r.emailsPerSecond)],
    ['ceiling s', (r) => r.ceilingSeconds.toFixed(1)],
    ['ratio', (r) => r.ratio.toFixed(2)],
    ['duplicates', (r) => String(r.duplicates)],
    ['missing', (r) => String(r.missing)],
    ['jitter ms', (r) => `0-${r.jitterMs}`],
    ['429 (our pace)', (r) => `${r.paceLimited429} (${r.paceLimited429Percent}%)`],
    ['foreign 429', (r) => (r.foreignRequests > 0 ? `${r.foreign429}/${r.foreignRequests} (${r.foreign429Percent}%, ${r.foreignPattern})` : '-')],
    ['429/500/lost injected', (r) => `${r.injected429}/${r.serverErrors}/${r.lostAnswers}`],
    ['D1 rows/recipient', (r) => r.d1RowsWrittenPerRecipient.toFixed(2)],
    ['CPU ms/recipient', (r) => r.cpuMsPerRecipient.toFixed(3)],
    ['import s', (r) => r.importSeconds.toFixed(2)],
  ];
  const widths = columns.map(([h, f]) => Math.max(h.length, ...results.map((r) => f(r).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log('\n' + line(columns.map(([h]) => h)));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of results) console.log(line(columns.map(([, f]) => f(r))));
}

function parseFaults(text: string): { rateLimited: number; serverError: number; lostAnswer: number } {
  const faults = { rateLimited: 0, serverError: 0, lostAnswer: 0 };
  const names: Record<string, keyof typeof faults> = { '429': 'rateLimited', '500': 'serverError', lost: 'lostAnswer' };
  for (const part of text.split(',').filter(Boolean)) {
    const [name, value] = part.split('=');
    const p = Number(value);
    if (!names[name] || !(p >= 0 && p < 1)) fail(`--faults takes 429=P,500=P,lost=P with 0 <= P < 1, got "${part}"`);
    faults[names[name]] = p;
  }
  return faults;
}

function describeFaults(f: { rateLimited: number; serverError: number; lostAnswer: number }): string {
  return f.rateLimited + f.serverError + f.lostAnswer === 0 ? 'none' : `429 ${f.rateLimited * 100}%, 500 ${f.serverError * 100}%, lost ${f.lostAnswer * 100}%`;
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
  throw new Error(`bench: ${message}`);
}
