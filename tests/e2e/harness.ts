// What a browser-test module (tests/e2e/*.ts) gets from the runner (run.ts): the running service,
// one-line checks that count towards "N passed, N failed", pages that record problems, and the
// axe + screenshot audit. Modules export one async function taking this, called from run.ts.
import type { Page } from 'playwright-core';
import type { OutboxMail } from '../../src/mail/outbox';

export interface Viewport {
  readonly name: string;
  readonly width: number;
  readonly height: number;
}

export type ProblemPage = Page & { problems: string[] };

export interface Harness {
  /** http://localhost:<port> of `npm run dev`. */
  base: string;
  viewports: readonly Viewport[];
  /** One check, one line; a failure throws and ends the calling flow. */
  check<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  newPage(vp: Viewport): Promise<ProblemPage>;
  /** axe-core in light and dark, a screenshot of each, no console errors or requests off this machine. */
  audit(page: ProblemPage, label: string): Promise<void>;
  screenshot(page: Page, name: string): Promise<string>;
  waitForMail(to: string, subject: (s: string) => boolean, what: string): Promise<OutboxMail>;
  getJson<T>(path: string): Promise<T>;
  /** The first URL in a text part that starts with `prefix`. */
  urlIn(text: string, prefix: string): string;
  chromium: { path: string; args: readonly string[] };
  /** test-results/e2e/ */
  outDir: string;
}
