// `npm run dev [-- <wrangler dev args>]`: applies the local D1 migrations, then runs
// `wrangler dev --test-scheduled` with every extra argument.
//
// npm hands extra arguments to the `dev` script only, never to `predev`, so the migrations run here:
// that way `npm run dev -- --persist-to /tmp/x` migrates the very database that wrangler dev then
// uses (and `--config` / `--env` reach both commands as well).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const args = process.argv.slice(2);

/** The flags of `wrangler dev` that also decide which local D1 the migrations must go to. */
const SHARED_FLAGS = ['--persist-to', '--config', '-c', '--env', '-e'];

function sharedArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag] = arg.split('=', 1);
    if (!SHARED_FLAGS.includes(flag!)) continue;
    if (arg.includes('=')) out.push(arg);
    else if (i + 1 < argv.length) out.push(arg, argv[++i]!);
  }
  return out;
}

const migrate = spawnSync('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local', ...sharedArgs(args)], { stdio: 'inherit' });
if (migrate.error) {
  console.error(`dev: could not run wrangler: ${migrate.error.message}. Run \`npm install\` first.`);
  process.exit(1);
}
if (migrate.status !== 0) {
  console.error('dev: applying the local D1 migrations failed (see above); the dev server was not started.');
  process.exit(migrate.status ?? 1);
}

const child = spawn('wrangler', ['dev', '--test-scheduled', ...args, ...publicUrlForPort(args)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));

/**
 * `npm run dev -- --port 8799`: links in emails should point at that port too. Unless PUBLIC_URL is
 * set some other way (a --var, .dev.vars, the environment), it follows the port.
 */
function publicUrlForPort(argv: string[]): string[] {
  const at = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  if (at < 0) return [];
  const port = argv[at].includes('=') ? argv[at].split('=')[1] : argv[at + 1];
  if (!port || !/^\d+$/.test(port) || port === '8787') return [];
  const setElsewhere =
    argv.some((a) => a.startsWith('PUBLIC_URL:') || a.startsWith('PUBLIC_URL=')) ||
    process.env.PUBLIC_URL !== undefined ||
    (existsSync('.dev.vars') && /^\s*PUBLIC_URL\s*=/m.test(readFileSync('.dev.vars', 'utf8')));
  if (setElsewhere) return [];
  console.log(`dev: PUBLIC_URL follows --port: http://localhost:${port}`);
  return ['--var', `PUBLIC_URL:http://localhost:${port}`];
}
