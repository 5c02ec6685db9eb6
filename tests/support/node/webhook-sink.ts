// A receiver of outgoing webhooks on loopback, for the workerd tests (the other side of
// src/webhooks/out/): POST /hook/<name> is recorded and answered with that name's status (200 unless
// set with POST /status/<name>?code=500); GET /received/<name> lists what arrived, oldest first.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string>;
  body: string;
  at: number;
}

export async function startWebhookSink(): Promise<{ url: string; close: () => Promise<void> }> {
  const received = new Map<string, Received[]>();
  const statuses = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const [, kind, name = ''] = url.pathname.split('/');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && kind === 'hook') {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        received.set(name, [...(received.get(name) ?? []), { headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }]);
        res.writeHead(statuses.get(name) ?? 200, { 'content-type': 'text/plain' }).end('ok');
      } else if (req.method === 'POST' && kind === 'status') {
        statuses.set(name, Number(url.searchParams.get('code') ?? '200'));
        res.writeHead(204).end();
      } else if (req.method === 'GET' && kind === 'received') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received.get(name) ?? []));
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
