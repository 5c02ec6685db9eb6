// The weekly slot comes now, on the running dev server (`npm run dev` starts it with --test-scheduled):
// housekeeping first, then the oldest ready, never-sent article not scheduled for later goes at once.
// Usage: npm run send:weekly [-- --port 8799]

import { parseArgs } from 'node:util';
import { MANUAL_TRIGGERS } from '../src/triggers.ts';

let portText: string;
try {
  portText = parseArgs({ options: { port: { type: 'string', default: process.env.PORT ?? '8787' } } }).values.port!;
} catch (error) {
  console.error(`send:weekly: ${(error as Error).message}\nUsage: npm run send:weekly [-- --port 8799]`);
  process.exit(2);
}
const port = Number(portText);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`send:weekly: --port must be a port number, got "${portText}".`);
  process.exit(2);
}
const base = `http://localhost:${port}`;

try {
  const response = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(MANUAL_TRIGGERS.weeklyNow)}`);
  const body = await response.text();
  if (!response.ok) {
    console.error(`send:weekly: the dev server answered ${response.status}: ${body.slice(0, 500)}`);
    process.exit(1);
  }
  console.log(`send:weekly: the weekly slot came now on ${base} (${body.trim() || 'ok'}).`);
  console.log(`The issue goes out through the queue in a few seconds: see ${base}/dev/outbox (outbox mode) or the dev server's log.`);
} catch (error) {
  console.error(`send:weekly: could not reach ${base}: ${(error as Error).message}\nStart the service first with \`npm run dev\` (or pass --port N).`);
  process.exit(1);
}
