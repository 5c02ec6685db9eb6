// The bindings tests see: the Worker's own, plus what vitest.config.ts adds.
import type { D1Migration } from 'cloudflare:test';
import type { Env as WorkerEnv } from '../src/config';

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import('../src/index');
    }
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      FAKE_RESEND_URL: string;
      FAKE_RESEND_URL_2: string;
      FAKE_RESEND_URL_3: string;
      FAKE_RESEND_EMAILS_URL: string;
      WEBHOOK_SINK_URL: string;
      /** The crons of wrangler.toml, as wrangler itself reads them (JSON array). */
      WRANGLER_CRONS: string;
    }
  }
}
