// Starts the real service the way a newcomer does (`npm run dev -- --port N`), in a fresh
// persist dir, and stops it again: the whole process group (npm, tsx, wrangler, workerd).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DevServer {
  base: string;
  port: number;
  persistDir: string;
  /** Idempotent; safe from signal handlers. */
  stop(): Promise<void>;
  /** Last resort from a synchronous 'exit' handler. */
  killNow(): void;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `extraArgs` go to `wrangler dev` after the ones here (e.g. `--var ADMIN_TOKEN:…` for the dashboard's own server). */
export async function startDevServer(root: string, logFile: string, timeoutMs = 120_000, extraArgs: string[] = []): Promise<DevServer> {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const persistDir = mkdtempSync(join(tmpdir(), 'newsletter-e2e-state-'));
  const log = createWriteStream(logFile);
  // Links in emails must point at this server, and mail must stay in the local outbox whatever
  // a developer's .dev.vars says (an e2e run never sends real mail).
  const args = ['run', 'dev', '--', '--port', String(port), '--persist-to', persistDir, '--var', `PUBLIC_URL:${base}`, '--var', 'EMAIL_TRANSPORT:outbox', ...extraArgs];
  const child: ChildProcess = spawn('npm', args, {
    cwd: root,
    detached: true, // its own process group, so stop() reaches wrangler and workerd too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const pgid = child.pid!;
  let exited = false;
  child.on('exit', () => (exited = true));

  let stopping: Promise<void> | null = null;
  let stopped = false;
  const server: DevServer = {
    base,
    port,
    persistDir,
    killNow() {
      if (stopped) return;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      rmSync(persistDir, { recursive: true, force: true });
    },
    stop() {
      stopping ??= (async () => {
        try {
          process.kill(-pgid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const deadline = Date.now() + 8_000;
        while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        if (groupAlive(pgid)) {
          try {
            process.kill(-pgid, 'SIGKILL');
          } catch {
            /* gone meanwhile */
          }
        }
        stopped = true;
        log.end();
        rmSync(persistDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await server.stop();
      throw new Error(`npm run dev exited before /health answered; see ${logFile}`);
    }
    try {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok && ((await response.json()) as { ok?: boolean }).ok === true) return server;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`/health did not answer within ${timeoutMs / 1000} s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
