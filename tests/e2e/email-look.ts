// The weekly email as readers see it, from the local outbox, in Chromium: light, dark (emulated
// prefers-color-scheme, as Apple Mail and the Outlook apps apply it) and on a 320 px phone. Each is
// a screenshot in test-results/e2e/ (email-light.png, email-dark.png, email-320.png); the top of the
// dark one also goes to docs/screenshots/weekly-email-dark.png for the README. axe-core finds no contrast violation in either
// scheme, the dark rendering really is dark (and not the light one again), and nothing is wider
// than 320 px.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { OutboxMail } from '../../src/mail/outbox';
import { runAxe } from './audit';

export interface EmailLookOptions {
  context: BrowserContext;
  base: string;
  /** The subject of the issue to look at (its title). */
  subject: string;
  /** run.ts's reporter: one line per check. */
  check: <T>(name: string, fn: () => Promise<T> | T) => Promise<T>;
  outDir: string;
  docsDir: string;
}

interface Colours {
  page: string;
  card: string;
  text: string;
  luminance: { page: number; card: number; text: number };
}

/** The page, the card and the title's computed colours, and their relative luminance. */
async function colours(page: Page): Promise<Colours> {
  // tsx (esbuild keepNames) wraps the named helpers below in __name(); the page has no such function.
  await page.evaluate('globalThis.__name ??= (fn) => fn');
  return page.evaluate(() => {
    const lum = (value: string) => {
      const [r, g, b] = (value.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((c) => {
        const s = Number(c) / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const bg = (selector: string) => getComputedStyle(document.querySelector(selector)!).backgroundColor;
    const page = bg('table.nl-page');
    const card = bg('table.nl-card');
    const text = getComputedStyle(document.querySelector('h1')!).color;
    return { page, card, text, luminance: { page: lum(page), card: lum(card), text: lum(text) } };
  });
}

export async function checkEmailLook({ context, base, subject, check, outDir, docsDir }: EmailLookOptions): Promise<void> {
  const mail = await check(`the issue "${subject}" is in the outbox`, async () => {
    const response = await fetch(`${base}/dev/outbox.json`, { headers: { accept: 'application/json' } });
    const found = ((await response.json()) as OutboxMail[]).find((m) => m.subject === subject);
    if (!found) throw new Error(`no mail with the subject "${subject}" in the outbox`);
    return found;
  });
  const page = await context.newPage();
  try {
    const views = [
      { name: 'light', scheme: 'light', width: 760 },
      { name: 'dark', scheme: 'dark', width: 760 },
      { name: '320', scheme: 'light', width: 320 },
    ] as const;
    const seen: Record<string, { colours: Colours; shot: Buffer; path: string }> = {};
    for (const view of views) {
      seen[view.name] = await check(`email ${view.name}: rendered at ${view.width} px in the ${view.scheme} scheme, axe finds no contrast problem`, async () => {
        await page.setViewportSize({ width: view.width, height: 1100 });
        await page.emulateMedia({ colorScheme: view.scheme });
        await page.setContent(mail.html, { waitUntil: 'load' });
        const path = join(outDir, `email-${view.name}.png`);
        const shot = await page.screenshot({ path, fullPage: true });
        // The top of the email as a reading pane shows it: the README's picture of the dark design.
        if (view.name === 'dark') await page.screenshot({ path: join(outDir, 'email-dark-top.png') });
        const violations = (await runAxe(page)).filter((v) => v.id === 'color-contrast' || v.impact === 'serious' || v.impact === 'critical');
        if (violations.length) throw new Error(violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(' | ')})`).join('\n'));
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        if (width > view.width) throw new Error(`the email is ${width} px wide in a ${view.width} px window`);
        return { colours: await colours(page), shot, path };
      });
    }
    await check('email dark: a dark page and card with light text, not the light design again', () => {
      const { light, dark } = seen as Record<'light' | 'dark', { colours: Colours; shot: Buffer }>;
      const d = dark.colours.luminance;
      if (!(d.page < 0.05 && d.card < 0.05 && d.text > 0.6)) throw new Error(`dark mode shows page ${dark.colours.page}, card ${dark.colours.card}, title ${dark.colours.text}`);
      if (light.colours.luminance.card < 0.9) throw new Error(`light mode shows the card as ${light.colours.card}`);
      if (light.shot.equals(dark.shot)) throw new Error('the dark screenshot is identical to the light one');
    });
    mkdirSync(docsDir, { recursive: true });
    copyFileSync(join(outDir, 'email-dark-top.png'), join(docsDir, 'weekly-email-dark.png'));
  } finally {
    await page.close();
  }
}
