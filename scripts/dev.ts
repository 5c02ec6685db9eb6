// `npm run dev [-- <wrangler dev args>]`: applies the local D1 migrations, then runs
// `wrangler dev --test-scheduled` with every extra argument.
//
// npm hands extra arguments to the `dev` script only, never to `predev`, so the migrations run here:
// that way `npm run dev -- --persist-to /tmp/x` migrates the very database that wrangler dev then
// uses (and `--config` / `--env` reach both commands as well).

import { spawn, spawnSync } from 'node:child_process';

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

const child = spawn('wrangler', ['dev', '--test-scheduled', ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
