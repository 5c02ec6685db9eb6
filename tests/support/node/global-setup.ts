// Starts the fake Resend on loopback for the whole run; workerd reaches it over real HTTP.
import type { TestProject } from 'vitest/node';
import { startFakeResend } from './fake-resend.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeResendUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const fake = await startFakeResend({ ratePerSecond: 1000, apiKey: 're_test_key' });
  project.provide('fakeResendUrl', fake.url);
  return async () => fake.close();
}
