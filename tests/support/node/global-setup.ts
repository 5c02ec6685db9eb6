// Starts the fake Resend on loopback for the whole run; workerd reaches it over real HTTP.
import type { TestProject } from 'vitest/node';
import { startFakeResend } from './fake-resend.ts';
import { startFakeTurnstile } from './fake-turnstile.ts';
import { startWebhookSink } from './webhook-sink.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeResendUrl: string;
    fakeResendUrl2: string;
    fakeResendUrl3: string;
    fakeTurnstileUrl: string;
    fakeResendEmailsUrl: string;
    webhookSinkUrl: string;
  }
}

export default async function setup(project: TestProject) {
  // One fake per test file that drives the Resend transport: the files run in parallel.
  const [fake, fake2, fake3] = await Promise.all([1, 2, 3].map(() => startFakeResend({ ratePerSecond: 1000, apiKey: 're_test_key' })));
  project.provide('fakeResendUrl', fake.url);
  project.provide('fakeResendUrl2', fake2.url);
  project.provide('fakeResendUrl3', fake3.url);
  // And one for tests/email-tags.test.ts (unlimited rate).
  const emailsFake = await startFakeResend({ ratePerSecond: 0, apiKey: 're_test_key' });
  project.provide('fakeResendEmailsUrl', emailsFake.url);
  // Turnstile's siteverify, for the tests that switch Turnstile on (tests/hostile.test.ts).
  const turnstile = await startFakeTurnstile();
  project.provide('fakeTurnstileUrl', turnstile.url);
  // The receiver of outgoing webhooks (tests/webhooks-out.test.ts).
  const sink = await startWebhookSink();
  project.provide('webhookSinkUrl', sink.url);
  return async () => {
    await Promise.all([fake.close(), fake2.close(), fake3.close(), emailsFake.close(), turnstile.close(), sink.close()]);
  };
}
