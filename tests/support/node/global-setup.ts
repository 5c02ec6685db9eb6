// Starts the fake Resend on loopback for the whole run; workerd reaches it over real HTTP.
import type { TestProject } from 'vitest/node';
import { startFakeResend } from './fake-resend.ts';
import { startFakeTurnstile } from './fake-turnstile.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeResendUrl: string;
    fakeTurnstileUrl: string;
    fakeResendEmailsUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const fake = await startFakeResend({ ratePerSecond: 1000, apiKey: 're_test_key' });
  project.provide('fakeResendUrl', fake.url);
  // A second one of its own for tests/email-tags.test.ts: tests/delivery.test.ts counts everything
  // its fake receives, so other files must not send through it.
  const emailsFake = await startFakeResend({ ratePerSecond: 0, apiKey: 're_test_key' });
  project.provide('fakeResendEmailsUrl', emailsFake.url);
  // Turnstile's siteverify, for the tests that switch Turnstile on (tests/hostile.test.ts).
  const turnstile = await startFakeTurnstile();
  project.provide('fakeTurnstileUrl', turnstile.url);
  return async () => {
    await Promise.all([fake.close(), emailsFake.close(), turnstile.close()]);
  };
}
