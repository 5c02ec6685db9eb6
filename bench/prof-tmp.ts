import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeResend } from '../tests/support/node/fake-resend.ts';
const root = join(import.meta.dirname, '..');
const PORT = 8811, IPORT = 8812, N = Number(process.env.N ?? 5000);
const fake = await startFakeResend({ ratePerSecond: 10, keepBodies: false, apiKey: 're_k' });
const persist = mkdtempSync(join(tmpdir(), 'prof-'));
const run = (args: string[]) => new Promise<void>((res) => spawn('npx', args, { cwd: root, stdio: 'ignore' }).on('exit', () => res()));
await run(['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist]);
const vars = { EMAIL_TRANSPORT: 'resend', RESEND_API_KEY: 're_k', RESEND_BASE_URL: fake.url, SEND_RATE_PER_SECOND: '10', CANARY_PERCENT: '0', ADMIN_TOKEN: 'x'.repeat(40) };
const child = spawn('npx', ['wrangler', 'dev', '--port', String(PORT), '--inspector-port', String(IPORT), '--persist-to', persist, ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])], { cwd: root, stdio: 'ignore', detached: true });
const api = async (m: string, p: string, body?: string, type = 'application/json') => { const r = await fetch(`http://127.0.0.1:${PORT}${p}`, { method: m, body, headers: { authorization: `Bearer ${'x'.repeat(40)}`, accept: 'application/json', ...(body ? { 'content-type': type } : {}) } }); return r.json() as any; };
for (;;) { try { if ((await fetch(`http://127.0.0.1:${PORT}/health`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 300)); }
await api('POST', '/api/subscribers/import?status=confirmed', 'email\n' + Array.from({ length: N }, (_, i) => `r${i}@b.example`).join('\n'), 'text/csv');
const [target] = (await (await fetch(`http://127.0.0.1:${IPORT}/json`)).json()) as any[];
const ws = new WebSocket(target.webSocketDebuggerUrl.replace('localhost', '127.0.0.1'), { headers: { origin: 'http://localhost' } } as any);
await new Promise((r) => ws.addEventListener('open', r));
let id = 1; const wait = new Map<number, (v: any) => void>();
ws.addEventListener('message', (e) => { const m = JSON.parse(String(e.data)); if (m.id) wait.get(m.id)?.(m.result); });
const call = (method: string, params: any = {}) => new Promise<any>((r) => { const i = id++; wait.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
await call('Profiler.enable'); await call('Profiler.setSamplingInterval', { interval: 200 }); await call('Profiler.start');
const { issues } = await api('GET', '/api/issues');
const slug = issues.find((i: any) => i.status === 'ready').slug;
const t0 = Date.now();
await api('POST', `/api/issues/${slug}/send`);
for (;;) { const s = await api('GET', `/api/issues/${slug}/stats`); if (s.pending === 0 && s.sent >= N) break; await new Promise((r) => setTimeout(r, 300)); }
console.log('wall', (Date.now() - t0) / 1000);
const { profile } = await call('Profiler.stop');
const self = new Map<string, number>();
const byId = new Map(profile.nodes.map((n: any) => [n.id, n]));
const dt = profile.timeDeltas; const counts = new Map<number, number>();
profile.samples.forEach((s: number, i: number) => counts.set(s, (counts.get(s) ?? 0) + (dt[i] ?? 0)));
for (const [nid, t] of counts) { const n: any = byId.get(nid); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + t); }
// inclusive time per function: walk parents
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map<string, number>();
for (const [nid, t] of counts) { const seen = new Set<string>(); let cur: number | undefined = nid; while (cur !== undefined) { const n: any = byId.get(cur); const k = `${n.callFrame.functionName || '(anon)'} :${n.callFrame.lineNumber}`; if (!seen.has(k)) { incl.set(k, (incl.get(k) ?? 0) + t); seen.add(k); } cur = parent.get(cur); } }
console.log('--- inclusive');
for (const [k, t] of [...incl.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log((t / 1000).toFixed(0).padStart(7), k);
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log('total sampled ms', (total / 1000).toFixed(0));
for (const [k, t] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((t / 1000).toFixed(0).padStart(7), k);
process.kill(-child.pid!, 'SIGTERM'); await fake.close(); process.exit(0);
