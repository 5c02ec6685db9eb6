/**
 * A fake of Cloudflare Turnstile's siteverify endpoint, served by a Node `http` server on 127.0.0.1.
 * The Worker under test is pointed at it with TURNSTILE_VERIFY_URL (vitest's globalSetup starts it).
 *
 *  - `POST /turnstile/v0/siteverify`: form-urlencoded or JSON `{secret, response, remoteip?}` →
 *    `{"success", "error-codes", "challenge_ts"?, "hostname"?}` as Cloudflare answers.
 *    Secrets: `FAKE_TURNSTILE_SECRET` (tokens behave as below), Cloudflare's documented test secrets
 *    `1x…AA` (always passes), `2x…AA` (always fails), `3x…AA` (always "already spent"); anything
 *    else is `invalid-input-secret`.
 *    Tokens (with the fake secret): `pass-…` succeeds once, then `timeout-or-duplicate` (single use,
 *    like the real one); `http-500` answers HTTP 500; `internal-error` answers success:false with
 *    `internal-error`; anything else is `invalid-input-response`.
 *  - `GET /__control/calls`: every verification received, oldest first `[{secret, response, remoteip}]`.
 *  - `POST /__control/reset`: forgets calls and spent tokens.
 *
 * Run directly for manual testing: `npx tsx tests/support/node/fake-turnstile.ts --port 3998`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { realpathSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const FAKE_TURNSTILE_SECRET = 'fake-turnstile-secret-0123456789abcdef';
export const FAKE_TURNSTILE_SITE_KEY = '1x00000000000000000000AA';
const ALWAYS_PASS = '1x0000000000000000000000000000000AA';
const ALWAYS_FAIL = '2x0000000000000000000000000000000AA';
const ALWAYS_SPENT = '3x0000000000000000000000000000000AA';

export interface SiteverifyCall {
  secret: string | null;
  response: string | null;
  remoteip: string | null;
}

export interface FakeTurnstile {
  url: string;
  verifyUrl: string;
  calls: SiteverifyCall[];
  close(): Promise<void>;
}

export async function startFakeTurnstile(options: { port?: number } = {}): Promise<FakeTurnstile> {
  const calls: SiteverifyCall[] = [];
  const spent = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => send(res, 500, { error: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/__control/calls') return send(res, 200, calls);
    if (req.method === 'POST' && path === '/__control/reset') {
      calls.length = 0;
      spent.clear();
      return send(res, 200, { ok: true });
    }
    if (req.method !== 'POST' || path !== '/turnstile/v0/siteverify') return send(res, 404, { error: 'not found' });

    const fields = parseBody(req.headers['content-type'] ?? '', await readBody(req));
    const call: SiteverifyCall = { secret: fields.secret ?? null, response: fields.response ?? null, remoteip: fields.remoteip ?? null };
    calls.push(call);
    const answer = (success: boolean, codes: string[] = []) =>
      send(res, 200, success ? { success, 'error-codes': codes, challenge_ts: new Date().toISOString(), hostname: 'localhost', action: '', cdata: '' } : { success, 'error-codes': codes });

    if (!call.secret) return answer(false, ['missing-input-secret']);
    if (!call.response) return answer(false, ['missing-input-response']);
    if (call.response.length > 2048) return answer(false, ['invalid-input-response']);
    if (call.secret === ALWAYS_PASS) return answer(true);
    if (call.secret === ALWAYS_FAIL) return answer(false, ['invalid-input-response']);
    if (call.secret === ALWAYS_SPENT) return answer(false, ['timeout-or-duplicate']);
    if (call.secret !== FAKE_TURNSTILE_SECRET) return answer(false, ['invalid-input-secret']);
    if (call.response === 'http-500') return send(res, 500, { error: 'scripted outage' });
    if (call.response === 'internal-error') return answer(false, ['internal-error']);
    if (!call.response.startsWith('pass-')) return answer(false, ['invalid-input-response']);
    if (spent.has(call.response)) return answer(false, ['timeout-or-duplicate']);
    spent.add(call.response);
    return answer(true);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    verifyUrl: `${url}/turnstile/v0/siteverify`,
    calls,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(type: string, body: string): Record<string, string> {
  if (type.startsWith('application/json')) {
    try {
      const value = JSON.parse(body) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const isMain = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isMain) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '3998' } } });
  const fake = await startFakeTurnstile({ port: Number(values.port) });
  console.log(`fake siteverify at ${fake.verifyUrl} (secret ${FAKE_TURNSTILE_SECRET})`);
}
