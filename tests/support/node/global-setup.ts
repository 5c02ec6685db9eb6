// Starts the fake Resend on loopback for the whole run; workerd reaches it over real HTTP.
import type { TestProject } from 'vitest/node';
import { startFakeResend } from './fake-resend.ts';
import { startFakeTurnstile } from './fake-turnstile.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeResendUrl: string;
    fakeTurnstileUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const fake = await startFakeResend({ ratePerSecond: 1000, apiKey: 're_test_key' });
  project.provide('fakeResendUrl', fake.url);
  // Turnstile's siteverify, for the tests that switch Turnstile on (tests/hostile.test.ts).
  const turnstile = await startFakeTurnstile();
  project.provide('fakeTurnstileUrl', turnstile.url);
  return async () => {
    await Promise.all([fake.close(), turnstile.close()]);
  };
}
