// `npm run deploy [-- <wrangler deploy args>]`: checks that wrangler.toml was made ready for a real
// site, applies the migrations to the remote D1, then deploys. (content/ was validated by predeploy.)
//
// The checks catch the two mistakes that would otherwise deploy cleanly and fail quietly: the local
// PUBLIC_URL left in place (every link in every email would point at localhost, and the Worker would
// believe it runs in local dev) and the placeholder database id.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const toml = readFileSync(join(import.meta.dirname, '..', 'wrangler.toml'), 'utf8');
const problems: string[] = [];

const publicUrlArg = args.find((a) => a.startsWith('PUBLIC_URL:'));
const publicUrl = publicUrlArg?.slice('PUBLIC_URL:'.length) ?? /^\s*PUBLIC_URL\s*=\s*"([^"]*)"/m.exec(toml)?.[1];
if (!publicUrl || /^https?:\/\/(localhost|127\.|\[::1\])/.test(publicUrl)) {
  problems.push(`PUBLIC_URL is ${publicUrl ?? 'not set'}: set it in [vars] of wrangler.toml to your site's address, e.g. "https://news.example.com".`);
}
// CAN-SPAM: every newsletter email shows the sender's postal address; the Worker refuses to run without it.
const postalArg = args.find((a) => a.startsWith('POSTAL_ADDRESS:'));
const postalAddress = postalArg?.slice('POSTAL_ADDRESS:'.length) ?? /^\s*POSTAL_ADDRESS\s*=\s*"([^"]*)"/m.exec(toml)?.[1];
if (!postalAddress?.trim()) {
  problems.push('POSTAL_ADDRESS is not set: add your postal address to [vars] of wrangler.toml, e.g. POSTAL_ADDRESS = "Example Ltd, 1 Main Street, Springfield, USA" (CAN-SPAM requires it in every newsletter).');
}
if (/database_id\s*=\s*"0{8}-0{4}-0{4}-0{4}-0{12}"/.test(toml)) {
  problems.push('database_id in wrangler.toml is the placeholder: run `npx wrangler d1 create newsletter` and paste the id it prints.');
}
if (problems.length > 0) {
  console.error(`deploy: not deploying:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee README "Deploying for real".`);
  process.exit(1);
}

for (const command of [
  ['d1', 'migrations', 'apply', 'DB', '--remote'],
  ['deploy', ...args],
]) {
  const run = spawnSync('wrangler', command, { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`deploy: \`wrangler ${command.join(' ')}\` failed (see above).`);
    process.exit(run.status ?? 1);
  }
}
