// The API through a client nobody here wrote: against a running service (`npm run dev`, or the one
// the browser tests start), this
//   1. fetches GET /api/openapi.json and validates it against the OpenAPI 3.1 schema (@readme/openapi-parser),
//   2. generates TypeScript types from it with openapi-typescript (generated/api.d.ts, not committed),
//   3. type-checks flows.ts, a typed openapi-fetch client, against those types (TypeScript 5, this
//      workspace's own: openapi-typescript needs it, the project compiles with 7),
//   4. runs flows.ts: keys and scopes, an import, the list, a webhook endpoint that receives a signed
//      event on a loopback receiver, issues and stats, the errors.
// Usage: npm run test:client [-- --port 8787] (needs ADMIN_TOKEN set for the server, e.g. in .dev.vars,
// and the same value in the environment, or --token).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileErrors, validate } from '@readme/openapi-parser';
import openapiTS, { astToString } from 'openapi-typescript';

const here = dirname(fileURLToPath(import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return process.argv[i].includes('=') ? process.argv[i].split('=')[1] : process.argv[i + 1];
}

export async function runClientChecks(base: string, token: string, log: (line: string) => void = console.log): Promise<void> {
  const response = await fetch(`${base}/api/openapi.json`);
  if (!response.ok) throw new Error(`GET /api/openapi.json answered ${response.status}`);
  const spec = await response.json();
  const result = await validate(structuredClone(spec));
  if (!result.valid) throw new Error(`the spec is not valid OpenAPI:\n${compileErrors(result)}`);
  log(`spec: valid OpenAPI ${spec.openapi}, ${Object.keys(spec.paths).length} paths${result.warnings.length ? `, ${result.warnings.length} warning(s)` : ''}`);

  mkdirSync(join(here, 'generated'), { recursive: true });
  writeFileSync(join(here, 'generated', 'api.d.ts'), astToString(await openapiTS(spec)));
  log('types: generated/api.d.ts written by openapi-typescript');

  // Asynchronously: a caller (the browser tests) keeps serving its dev server's output meanwhile.
  const tsc = await new Promise<{ status: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [join(here, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (status) => resolve({ status, output }));
  });
  if (tsc.status !== 0) throw new Error(`flows.ts does not type-check against the generated types:\n${tsc.output}`);
  log('types: flows.ts type-checks against them (TypeScript 5)');

  // A path the root type check does not follow: flows.ts imports generated/api.d.ts, which exists only
  // after step 2, and is type-checked above by this workspace's TypeScript 5 instead.
  const flowsPath = './flows.ts';
  const { runFlows } = (await import(flowsPath)) as { runFlows: (base: string, token: string, log: (line: string) => void) => Promise<void> };
  try {
    await runFlows(base, token, log);
  } catch (error) {
    throw new Error(describe(error));
  }
}

/** An error with its cause (undici's "fetch failed" says why only there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause ? `${error.message} (${cause instanceof Error ? `${cause.message}` : String(cause)})\n${error.stack}` : `${error.message}\n${error.stack}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const base = arg('base') ?? `http://localhost:${arg('port') ?? '8787'}`;
  const token = arg('token') ?? process.env.ADMIN_TOKEN;
  if (!token) {
    console.error('Set ADMIN_TOKEN (the dev server\'s, e.g. from .dev.vars) or pass --token.');
    process.exit(2);
  }
  runClientChecks(base, token).then(
    () => console.log('typed client: every flow passed'),
    (error) => {
      console.error(`typed client: ${describe(error)}`);
      process.exit(1);
    },
  );
}
