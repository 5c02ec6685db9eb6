// How fast the dashboard answers with a big list: `npx tsx bench/admin.ts [--n 100000] [--runs 50]`.
// Not part of `npm run bench` (that one measures sending).
//
// Starts `npm run dev` in a fresh persist dir with an ADMIN_TOKEN, imports N confirmed readers
// through the admin API (plus N/20 unsubscribed, and 200 erasures so the chart's "left" line has data),
// signs in through the form like a browser, then times each dashboard page `--runs` times after a
// warm-up: wall time from this process, so it includes wrangler dev's local HTTP hop.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDevServer } from '../tests/e2e/server.ts';

const root = join(import.meta.dirname, '..');
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghij';
const { values } = parseArgs({ options: { n: { type: 'string', default: '100000' }, runs: { type: 'string', default: '50' } } });
const N = Number(values.n);
const RUNS = Number(values.runs);
if (!Number.isInteger(N) || N < 1 || N > 1_000_000 || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error('usage: npx tsx bench/admin.ts [--n 100000] [--runs 50]');
  process.exit(2);
}

const server = await startDevServer(root, join(root, 'bench', 'admin-dev-server.log'), 120_000, ['--var', `ADMIN_TOKEN:${ADMIN_TOKEN}`]);
const stopAndExit = (code: number) => server.stop().then(() => process.exit(code));
process.on('SIGINT', () => void stopAndExit(130));

try {
  const base = server.base;
  const api = async (path: string, body: string) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' } });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<{ imported: number; skipped: number }>;
  };

  const started = performance.now();
  const emails = Array.from({ length: N }, (_, i) => `reader-${String(i).padStart(7, '0')}@bench.example`);
  const imported = await api('/api/subscribers/import?status=confirmed', `email,name\n${emails.map((e, i) => `${e},Reader ${i}`).join('\n')}\n`);
  console.log(`imported ${imported.imported} confirmed readers in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (imported.imported !== N) throw new Error(`expected ${N} imported`);
  // A minority status for the status filter (a status column can only make an imported row weaker),
  // and some erasures: a confirmed reader erased counts as having left, so both chart lines have data.
  const leavers = Array.from({ length: Math.floor(N / 20) }, (_, i) => `left-${i}@bench.example,unsubscribed`);
  await api('/api/subscribers/import?status=confirmed', `email,status\n${leavers.join('\n')}\n`);
  for (const email of emails.slice(0, Math.min(200, N))) {
    const erased = await fetch(`${base}/api/subscribers/${encodeURIComponent(email)}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (!erased.ok) throw new Error(`erase ${email}: ${erased.status}`);
  }

  // Sign in as a browser does: the form's nonce cookie and CSRF token, then the session cookie.
  const form = await fetch(`${base}/admin`);
  const nonce = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  const login = await fetch(`${base}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: nonce, 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ token: ADMIN_TOKEN, _csrf: csrf }),
  });
  const session = login.headers.getSetCookie().find((c) => c.startsWith('admin_session='))?.split(';')[0];
  if (login.status !== 303 || !session) throw new Error(`sign-in failed: ${login.status}`);

  const issues = (await (await fetch(`${base}/admin/issues`, { headers: { cookie: session, accept: 'application/json' } })).json()) as { issues: { slug: string }[] };
  const pages = [
    ['overview', '/admin'],
    ['subscribers (newest first)', '/admin/subscribers'],
    ['subscribers, status=unsubscribed', '/admin/subscribers?status=unsubscribed'],
    ['subscribers, q=reader-00500', '/admin/subscribers?q=reader-00500'],
    ['subscribers, page 2 of a prefix', ''],
    ['issues', '/admin/issues'],
    ['one issue', `/admin/issues/${issues.issues[0]?.slug}`],
  ];
  // A real "next page" link, taken from the prefix search.
  const firstPage = await (await fetch(`${base}/admin/subscribers?q=reader-00`, { headers: { cookie: session } })).text();
  pages[4][1] = /href="(\/admin\/subscribers\?[^"]*cursor=[^"]+)"/.exec(firstPage)?.[1].replace(/&amp;/g, '&') ?? '/admin/subscribers?q=reader-00';

  const results: { page: string; median: number; p95: number; max: number; bytes: number }[] = [];
  for (const [name, path] of pages) {
    const time = async () => {
      const t0 = performance.now();
      const response = await fetch(`${base}${path}`, { headers: { cookie: session } });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
      return { ms: performance.now() - t0, bytes: body.length };
    };
    for (let i = 0; i < 5; i++) await time(); // warm-up
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await time());
    const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    results.push({ page: name, median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1], bytes: runs[0].bytes });
  }

  console.log(`\nDashboard pages with ${N.toLocaleString('en-US')} confirmed (200 of them erased) + ${Math.floor(N / 20).toLocaleString('en-US')} unsubscribed readers, ${RUNS} runs each (wrangler dev, local D1)\n`);
  console.log('| page | median ms | p95 ms | max ms | HTML KB |');
  console.log('|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.page} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} | ${(r.bytes / 1024).toFixed(1)} |`);
  await stopAndExit(0);
} catch (error) {
  console.error(`bench/admin: ${(error as Error).message}`);
  await stopAndExit(1);
}
