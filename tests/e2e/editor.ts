// The article editor in the browser, called from admin.ts on the dashboard's own dev server (signed
// in, readers imported): write an article, drop an image into the body (uploaded to the local R2),
// describe it, watch the live preview (light and dark frames) show it, save, schedule it a minute
// ahead on the newsletter's clock, fire the frequent cron and see the issue go to the readers. axe
// on the editor at 375 and 1280 px, light and dark. Then the same without JavaScript: upload with
// the file field, preview with the button, save. The editor's picture goes to docs/screenshots/.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import type { OutboxMail } from '../../src/mail/outbox';
import { CRONS } from '../../src/triggers';

type AuditedPage = Page & { problems: string[] };
type Viewport = { name: 'phone'; width: 375; height: 812 } | { name: 'desktop'; width: 1280; height: 900 };

export interface EditorHarness {
  base: string;
  out: string;
  docs: string;
  context: BrowserContext;
  phone: Viewport;
  desktop: Viewport;
  check<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  audit(page: AuditedPage, label: string): Promise<void>;
  newPage(vp: Viewport): Promise<AuditedPage>;
  screenshot(page: Page, name: string): Promise<string>;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A 64×48 PNG: a real image Chromium decodes (zlib-compressed rows of one colour). */
async function pngBytes(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#1d5b70';
    ctx.fillRect(0, 0, 64, 48);
    ctx.fillStyle = '#f0c674';
    ctx.fillRect(16, 12, 32, 24);
    const blob: Blob = await new Promise((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
}

async function frameText(frame: Frame | null): Promise<string> {
  if (!frame) return '';
  try {
    return (await frame.locator('body').textContent({ timeout: 1000 })) ?? '';
  } catch {
    return '';
  }
}

export async function editorFlow(t: EditorHarness): Promise<void> {
  const { base } = t;
  const slug = 'written-in-the-browser';
  const title = 'Written in the browser';
  const page = await t.newPage(t.desktop);
  try {
    await t.check('editor: "New issue" opens an empty editor', async () => {
      await page.goto(`${base}/admin/issues`);
      await Promise.all([page.waitForURL(`${base}/admin/issues/new`), page.getByRole('link', { name: 'New issue' }).click()]);
      assert((await page.locator('h1').first().textContent())?.trim() === 'New issue', 'not the editor');
    });

    await t.check('editor: typing fills the fields; a dropped image is uploaded and put in the body', async () => {
      await page.getByLabel('Address (slug)').fill(slug);
      await page.getByLabel('Title').fill(title);
      await page.getByLabel('Summary').fill('An issue written, illustrated and scheduled without a terminal.');
      const body = page.getByLabel('Body (Markdown)');
      await body.fill('Dear readers,\n\nThis issue was **written in the browser**.\n\n');
      const bytes = await pngBytes(page);
      await body.evaluate((el, data) => {
        const file = new File([new Uint8Array(data)], 'harbour.png', { type: 'image/png' });
        const transfer = new DataTransfer();
        transfer.items.add(file);
        (el as HTMLTextAreaElement).setSelectionRange((el as HTMLTextAreaElement).value.length, (el as HTMLTextAreaElement).value.length);
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, bytes);
      await waitFor('the image URL in the body', async () => /!\[Describe this image\]\(http:\/\/localhost:\d+\/media\/[0-9a-f]{64}\.png\)/.test(await body.inputValue()), 20_000);
      // The description is selected: typing replaces it.
      await page.keyboard.type('A blue square with a yellow window');
      const value = await body.inputValue();
      assert(/!\[A blue square with a yellow window\]\(http:\/\/localhost:\d+\/media\/[0-9a-f]{64}\.png\)/.test(value), `the body is:\n${value}`);
      // To the end of the text (End alone stops at the end of a wrapped line, inside the long URL).
      await body.press('Control+End');
      await body.type('See you next week.');
    });

    await t.check('editor: the live preview shows the email, light and dark, with the image', async () => {
      const light = () => page.frame({ name: 'preview-light' });
      await waitFor('the light preview', async () => (await frameText(light())).includes('See you next week'), 20_000);
      const state = async () =>
        light()!
          .locator('img[alt="A blue square with a yellow window"]')
          .evaluate((img) => ({ src: (img as HTMLImageElement).src, complete: (img as HTMLImageElement).complete, width: (img as HTMLImageElement).naturalWidth }))
          .catch((error: Error) => ({ src: '', complete: false, width: 0, error: error.message.split('\n')[0] }));
      try {
        await waitFor('the image to load in the preview', async () => (await state()).width === 64, 20_000);
      } catch (error) {
        const seen = await state();
        const fetched = seen.src ? await fetch(seen.src).then((r) => `${r.status} ${r.headers.get('content-type')}`) : 'no src';
        const images = ((await light()?.content()) ?? '').match(/<img[^>]*>/g) ?? [];
        throw new Error(`${(error as Error).message}: ${JSON.stringify(seen)}; GET src: ${fetched}; frame: ${light()?.url()}; images: ${images.join(' ')}; body: ${JSON.stringify(await page.getByLabel('Body (Markdown)').inputValue())}; frame text: ${JSON.stringify((await frameText(light())).slice(0, 600))}`);
      }
      const dark = page.frame({ name: 'preview-dark' });
      await waitFor('the dark preview', async () => (await frameText(dark)).includes('See you next week'), 20_000);
      const background = await dark!.locator('table.nl-page').first().evaluate((el) => getComputedStyle(el).backgroundColor);
      const [r, g, b] = (background.match(/\d+/g) ?? ['255', '255', '255']).map(Number);
      assert(r! + g! + b! < 200, `the dark preview is not dark: ${background}`);
      assert(await page.locator('#checks-live .alert').count() === 0, `the checks complain: ${await page.locator('#checks-live').textContent()}`);
    });
    await t.screenshot(page, 'desktop-editor');
    // For the README: what the editor's first screen shows.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(t.out, 'desktop-editor-top.png') });

    await t.check('editor: saving keeps the article and opens it for editing', async () => {
      await Promise.all([page.waitForURL(`${base}/admin/issues/${slug}/edit?done=saved`), page.getByRole('button', { name: 'Save draft' }).click()]);
      assert(/Saved/.test((await page.getByRole('status').textContent()) ?? ''), 'no "Saved."');
    });

    // The next whole minute at least 15 s ahead (the field takes whole minutes): time to save the
    // form before it is due. The test fires the cron itself once that minute has passed.
    const sendAt = new Date(Math.ceil((Date.now() + 15_000) / 60_000) * 60_000);
    await t.check(`editor: scheduling it for ${sendAt.toISOString().slice(11, 16)} (UTC, the dev TIMEZONE) shows it scheduled`, async () => {
      await page.getByLabel(/Send at/).fill(sendAt.toISOString().slice(0, 16));
      await Promise.all([page.waitForURL(/done=scheduled/), page.getByRole('button', { name: 'Schedule' }).click()]);
      assert(((await page.locator('.page-head .badge').textContent()) ?? '').trim() === 'scheduled', 'the badge is not "scheduled"');
      assert(await page.getByRole('button', { name: 'Reschedule' }).isVisible(), 'no Reschedule button');
    });
    await t.audit(page, 'desktop admin editor');

    const small = await t.newPage(t.phone);
    try {
      await t.check('editor: fits a 375 px screen', async () => {
        await small.goto(`${base}/admin/issues/${slug}/edit`);
        const width = await small.evaluate(() => document.documentElement.scrollWidth);
        assert(width <= 375, `the editor is ${width} px wide`);
      });
      await t.audit(small, 'phone admin editor');
    } finally {
      await small.close();
    }

    await t.check('editor: the frequent cron sends it once its time has come, to the readers', async () => {
      await waitFor('the scheduled time', async () => Date.now() > sendAt.getTime() + 1000, 150_000);
      const fired = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(CRONS.tick)}`);
      assert(fired.ok, `the scheduled handler answered ${fired.status}`);
      // Every reader of the list (the dashboard's stats, with the session), and the email itself in
      // the outbox (which lists the newest 200 mails: some of this send's).
      const stats = await waitFor('every reader sent', async () => {
        const response = await page.request.get(`${base}/admin/issues/${slug}/stats`, { headers: { accept: 'application/json' } });
        const s = (await response.json()) as { status: string; sent: number; recipients: number };
        return s.recipients > 0 && s.status === 'sent' && s.sent === s.recipients ? s : null;
      }, 120_000);
      console.log(`     sent to ${stats.sent} readers`);
      const mails = (await (await fetch(`${base}/dev/outbox.json`)).json()) as OutboxMail[];
      const mail = mails.find((m) => m.subject === title && /^reader-\d{4}@example\.com$/.test(m.to));
      assert(mail, 'the issue is not in the outbox');
      assert(/\/media\/[0-9a-f]{64}\.png/.test(mail.html), 'the email has no image');
      await page.goto(`${base}/admin/issues/${slug}/edit`);
      assert(/can no longer change/.test((await page.locator('main').textContent()) ?? ''), 'the editor is not read-only after the send');
    });

    // Without JavaScript: the file field, the Preview button into the frame, Save.
    const cdp = await t.context.newCDPSession(page);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    try {
      await t.check('editor without JavaScript: upload with the file field, preview with the button, save', async () => {
        await page.goto(`${base}/admin/issues/new`);
        await page.getByLabel('Address (slug)').fill('no-script-issue');
        await page.getByLabel('Title').fill('Written without scripts');
        await page.getByLabel('Summary').fill('The plain form path.');
        await page.getByLabel('Body (Markdown)').fill('Plain **form**, no script.');
        await page.getByLabel(/Add an image/).setInputFiles({ name: 'square.png', mimeType: 'image/png', buffer: TINY_PNG });
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Upload image' }).click()]);
        const body = page.getByLabel('Body (Markdown)');
        await waitFor('the uploaded image in the body', async () => /!\[Describe this image\]\(http:\/\/localhost:\d+\/media\/[0-9a-f]{64}\.png\)/.test(await body.inputValue()), 10_000);
        await body.fill((await body.inputValue()).replace('Describe this image', 'A small square'));
        await page.getByRole('button', { name: 'Preview', exact: true }).click();
        await waitFor('the preview frame', async () => (await frameText(page.frame({ name: 'preview-light' }))).includes('Written without scripts'), 15_000);
        await Promise.all([page.waitForURL(`${base}/admin/issues/no-script-issue/edit?done=saved`), page.getByRole('button', { name: 'Save draft' }).click()]);
      });
    } finally {
      await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
      await cdp.detach();
    }
    mkdirSync(t.docs, { recursive: true });
    copyFileSync(join(t.out, 'desktop-editor-top.png'), join(t.docs, 'editor.png'));
  } finally {
    await page.close();
  }
}

/** A 1×1 PNG, for the path without scripts (the page cannot draw one then). */
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
