import { availableParallelism } from 'node:os';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { unstable_readConfig } from 'wrangler';

// Tests run inside workerd with the real local D1 and Queues of wrangler.toml. The only fake is
// Resend: a real HTTP server on loopback (tests/support/node/fake-resend.ts), started in globalSetup.
/** The files that measure the pace against the fake Resend in real time (see `projects` below). */
const REAL_TIME = ['tests/provider.test.ts', 'tests/delivery.test.ts', 'tests/canary.test.ts'];

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
          // tests/triggers.test.ts proves the Worker handles every cron wrangler.toml lists.
          WRANGLER_CRONS: JSON.stringify(unstable_readConfig({ config: './wrangler.toml' }).triggers.crons ?? []),
          FAKE_RESEND_URL: inject<string>('fakeResendUrl'),
          FAKE_RESEND_URL_2: inject<string>('fakeResendUrl2'),
          FAKE_RESEND_URL_3: inject<string>('fakeResendUrl3'),
          FAKE_RESEND_EMAILS_URL: inject<string>('fakeResendEmailsUrl'),
          FAKE_TURNSTILE_URL: inject<string>('fakeTurnstileUrl'),
          WEBHOOK_SINK_URL: inject<string>('webhookSinkUrl'),
          ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
          RESEND_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
          SEND_RATE_PER_SECOND: '50',
          // A canary's wait in seconds, not half an hour (tests/canary.test.ts).
          CANARY_WAIT_MINUTES: '0.02',
        },
      },
    })),
  ],
  test: {
    globalSetup: ['./tests/support/node/global-setup.ts'],
    setupFiles: ['./tests/support/apply-migrations.ts'],
    // Files run side by side even on two cores (vitest's default there is one at a time): most of a
    // file's time is waiting and starting its workerd. No file changes what another relies on: each
    // file that drives Resend has a fake of its own (global-setup.ts), and the two that share the
    // Turnstile fake read only their own calls from it. The files that measure the pace against the
    // fake in real time run in a group of their own after the rest (vitest runs groups in
    // `groupOrder`), one at a time, with nothing beside them: next to three other busy files on two
    // cores, a test that allows 3 refusals of ours saw 12.
    // Measured on a 2-core machine of CI's kind: 486 s one file at a time, 286 s like this.
    projects: [
      { extends: true, test: { name: 'real-time', include: REAL_TIME, maxWorkers: 1, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'the rest', include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'], exclude: ['tests/e2e/**', ...REAL_TIME], maxWorkers: Math.max(2, availableParallelism() - 1), sequence: { groupOrder: 0 } } },
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
