// `npm run deploy [-- <wrangler deploy args>]`: checks that wrangler.toml was made ready for a real
// site, applies the migrations to the remote D1, then deploys. (content/ was validated by predeploy.)
//
// The checks catch the mistakes that would otherwise deploy cleanly and fail quietly: the local
// PUBLIC_URL left in place (every link in every email would point at localhost, and the Worker would
// believe it runs in local dev), the placeholder database id, and the production rules of
// src/config.ts (an http:// PUBLIC_URL, a placeholder FROM_EMAIL, a short ADMIN_TOKEN).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productionProblems, readSignupOrigins } from '../src/config.ts';

const args = process.argv.slice(2);
const toml = readFileSync(join(import.meta.dirname, '..', 'wrangler.toml'), 'utf8');
const problems: string[] = [];

const publicUrlArg = args.find((a) => a.startsWith('PUBLIC_URL:'));
const publicUrl = publicUrlArg?.slice('PUBLIC_URL:'.length) ?? /^\s*PUBLIC_URL\s*=\s*"([^"]*)"/m.exec(toml)?.[1];
if (!publicUrl || /^https?:\/\/(localhost|127\.|\[::1\])/.test(publicUrl)) {
  problems.push(`PUBLIC_URL is ${publicUrl ?? 'not set'}: set it in [vars] of wrangler.toml to your site's address, e.g. "https://news.example.com".`);
}
// The production rules of src/config.ts (https, a real FROM_EMAIL, a POSTAL_ADDRESS, an ADMIN_TOKEN of 32+ characters),
// so a bad setting stops here rather than in the deployed Worker. Secrets are checked when this deploy
// uploads them (`--secrets-file`, JSON or .env, the environment overriding it as wrangler does); one
// stored earlier with `wrangler secret put` cannot be read back, and the Worker refuses to serve with it.
const local = problems.length > 0;
const secrets = secretsFile(args);
const setting = (name: string) => args.find((a) => a.startsWith(`${name}:`))?.slice(name.length + 1) ?? secrets[name] ?? tomlVar(name);
for (const problem of productionProblems({ publicUrl, fromEmail: setting('FROM_EMAIL'), adminToken: setting('ADMIN_TOKEN'), postalAddress: setting('POSTAL_ADDRESS') })) {
  if (!(local && problem.startsWith('PUBLIC_URL'))) problems.push(problem);
}
// SIGNUP_ORIGINS by the same rule the Worker applies (origins only, no wildcard, https:// outside local dev).
try {
  if (!local && publicUrl) readSignupOrigins(setting('SIGNUP_ORIGINS'), false, new URL(publicUrl).origin);
} catch (error) {
  problems.push((error as Error).message);
}
if (/database_id\s*=\s*"0{8}-0{4}-0{4}-0{4}-0{12}"/.test(toml)) {
  problems.push('database_id in wrangler.toml is the placeholder: run `npx wrangler d1 create newsletter` and paste the id it prints.');
}
if (problems.length > 0) {
  console.error(`deploy: not deploying:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee README "Deploying for real".`);
  process.exit(1);
}

/** `NAME = "value"` in wrangler.toml (the [vars] table holds only strings). */
function tomlVar(name: string): string | undefined {
  return new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"`, 'm').exec(toml)?.[1];
}

/** The secrets `--secrets-file <path>` would upload (JSON or dotenv), with the environment overriding as wrangler does. */
function secretsFile(argv: string[]): Record<string, string | undefined> {
  const at = argv.findIndex((a) => a === '--secrets-file' || a.startsWith('--secrets-file='));
  if (at < 0) return {};
  const path = argv[at].includes('=') ? argv[at].slice(argv[at].indexOf('=') + 1) : argv[at + 1];
  if (!path || !existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  let values: Record<string, string | undefined> = {};
  try {
    values = JSON.parse(text) as Record<string, string>;
  } catch {
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (m && !line.trimStart().startsWith('#')) values[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
    }
    for (const name of Object.keys(values)) values[name] = process.env[name] ?? values[name];
  }
  return values;
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
