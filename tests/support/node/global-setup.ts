// Starts the fake Resend on loopback for the whole run; workerd reaches it over real HTTP.
import type { TestProject } from 'vitest/node';
import { startFakeResend } from './fake-resend.ts';
import { startFakeTurnstile } from './fake-turnstile.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeResendUrl: string;
    fakeResendUrl2: string;
    fakeTurnstileUrl: string;
  }
}

export default async function setup(project: TestProject) {
  // Two fakes: the two test files that drive the Resend transport run in parallel, each with its own.
  const fake = await startFakeResend({ ratePerSecond: 1000, apiKey: 're_test_key' });
  const fake2 = await startFakeResend({ ratePerSecond: 1000, apiKey: 're_test_key' });
  project.provide('fakeResendUrl', fake.url);
  project.provide('fakeResendUrl2', fake2.url);
  // Turnstile's siteverify, for the tests that switch Turnstile on (tests/hostile.test.ts).
  const turnstile = await startFakeTurnstile();
  project.provide('fakeTurnstileUrl', turnstile.url);
  return async () => {
    await Promise.all([fake.close(), fake2.close(), turnstile.close()]);
  };
}
