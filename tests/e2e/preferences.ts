// The reader's own page in Chromium (issues 14 and 21), reached the way a reader does: from the
// "Manage your subscription" link of the welcome email. At phone width: pause and resume, leave and
// come back through the emailed link, erase through the emailed link and its confirmation page. On a
// desktop: pause (the README picture), download the data through the emailed link, move to a new
// address (a link to the current address, then one to the new one), see the old page link stop
// working, and undo the move from the notice the old address gets. Every page: axe in light and
// dark, no console errors, no sideways scrolling at 375 px; no JavaScript anywhere.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Harness, ProblemPage, Viewport } from './harness';

const DOCS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function h1(page: ProblemPage): Promise<string> {
  return ((await page.locator('h1').first().textContent()) ?? '').trim();
}

async function statusNotice(page: ProblemPage): Promise<string> {
  return ((await page.getByRole('status').first().textContent()) ?? '').trim();
}

/** Press a button that posts its form, and wait for the answer page. */
async function press(page: ProblemPage, name: string | RegExp): Promise<number | undefined> {
  const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name }).click()]);
  return response?.status();
}

/** A confirmed reader (JSON API), and the preferences link from their welcome email. */
async function confirmedReader(h: Harness, email: string): Promise<string> {
  const response = await fetch(`${h.base}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email, name: 'Pat Reader' }) });
  assert(response.status === 202, `POST /subscribe answered ${response.status}`);
  const confirmation = await h.waitForMail(email, (s) => s.startsWith('Confirm'), `the confirmation to ${email}`);
  const confirmed = await fetch(h.urlIn(confirmation.text, `${h.base}/confirm?token=`), { method: 'POST', headers: { accept: 'application/json' } });
  assert(confirmed.status === 200, `POST /confirm answered ${confirmed.status}`);
  const welcome = await h.waitForMail(email, (s) => s.startsWith('Welcome'), `the welcome email to ${email}`);
  const link = h.urlIn(welcome.text, `Manage your subscription: ${h.base}/preferences?token=`).slice('Manage your subscription: '.length);
  assert(welcome.html.includes(`href="${link}"`), 'the HTML part links elsewhere');
  return link;
}

async function fitsPhone(h: Harness, page: ProblemPage, vp: Viewport, label: string) {
  if (vp.width > 400) return;
  await h.check(`${label}: fits a 375 px screen without sideways scrolling`, async () => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(width <= vp.width, `the page is ${width} px wide`);
  });
}

async function openPage(h: Harness, page: ProblemPage, vp: Viewport, link: string, email: string) {
  await h.check(`${vp.name}: the welcome email's "Manage your subscription" link opens the reader's page`, async () => {
    const response = await page.goto(link);
    assert(response?.status() === 200, `GET /preferences answered ${response?.status()}`);
    assert((await h1(page)) === 'Your subscription', `the page says "${await h1(page)}"`);
    assert(((await page.locator('.facts').textContent()) ?? '').includes(email), 'the address is not shown');
    assert(/Subscribed since/.test((await page.locator('.facts').textContent()) ?? ''), 'no "subscribed since"');
    assert((await page.locator('script').count()) === 0, 'the page has a script');
  });
}

/** Asks on the page for an emailed action: 202, a notice naming the reader's address; then the link from that inbox. */
async function emailedLink(h: Harness, page: ProblemPage, button: RegExp, inbox: string, subject: string): Promise<string> {
  const before = (await h.getJson<{ to: string; subject: string }[]>('/dev/outbox.json')).filter((m) => m.to === inbox && m.subject.startsWith(subject)).length;
  const status = await press(page, button);
  assert(status === 202, `POST answered ${status}`);
  const notice = await statusNotice(page);
  assert(notice.includes(`We emailed a link to ${inbox}`), `the notice says "${notice}"`);
  const started = Date.now();
  for (;;) {
    const mails = (await h.getJson<{ to: string; subject: string; text: string }[]>('/dev/outbox.json')).filter((m) => m.to === inbox && m.subject.startsWith(subject));
    if (mails.length > before) return h.urlIn(mails[0]!.text, `${h.base}/preferences/link?token=`);
    assert(Date.now() - started < 15_000, `no "${subject}" email reached ${inbox}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens an emailed link: its page has one button, no script, and acts on nothing by loading. */
async function openLink(page: ProblemPage, link: string, title: string) {
  const response = await page.goto(link, { waitUntil: 'networkidle' });
  assert(response?.status() === 200, `GET answered ${response?.status()}`);
  assert((await h1(page)) === title, `the page says "${await h1(page)}"`);
  assert((await page.locator('script').count()) === 0, 'the page has a script');
  assert((await page.locator('form button').count()) === 1, 'not exactly one button');
}

async function pauseAndResume(h: Harness, page: ProblemPage, vp: Viewport, weeks: number) {
  await h.check(`${vp.name}: pausing for ${weeks} weeks says until when, and offers "Resume now"`, async () => {
    await page.getByLabel(`${weeks} weeks`).check();
    const status = await press(page, /^pause$/i);
    assert(status === 200, `POST answered ${status}`);
    const notice = await statusNotice(page);
    assert(new RegExp(`Paused for ${weeks} weeks, until \\d{1,2} \\w+ \\d{4}`).test(notice), `the notice says "${notice}"`);
    assert(/paused until/i.test((await page.locator('.facts').textContent()) ?? ''), 'the status does not say paused');
    assert(await page.getByRole('button', { name: /resume now/i }).isVisible(), 'no "Resume now" button');
  });
}

export async function preferencesPage(h: Harness): Promise<void> {
  const [phone, desktop] = [h.viewports[0]!, h.viewports[h.viewports.length - 1]!];

  // ---- phone: pause, resume, leave, come back, erase -------------------------------------------------
  const phoneEmail = 'e2e-prefs-phone@example.com';
  const phoneLink = await h.check(`${phone.name}: a confirmed reader's welcome email has a "Manage your subscription" link`, () => confirmedReader(h, phoneEmail));
  let page = await h.newPage(phone);
  try {
    await openPage(h, page, phone, phoneLink, phoneEmail);
    await h.audit(page, `${phone.name} preferences`);
    await fitsPhone(h, page, phone, `${phone.name} preferences`);
    await pauseAndResume(h, page, phone, 2);
    await h.check(`${phone.name}: "Resume now" ends the pause at once`, async () => {
      assert((await press(page, /resume now/i)) === 200, 'POST resume failed');
      assert(/^Resumed/.test(await statusNotice(page)), `the notice says "${await statusNotice(page)}"`);
      assert(!(await page.getByRole('button', { name: /resume now/i }).isVisible()), '"Resume now" is still offered');
    });
    await h.check(`${phone.name}: "Unsubscribe" leaves at once and offers "Resubscribe" for 30 days`, async () => {
      assert((await press(page, /^unsubscribe$/i)) === 200, 'POST unsubscribe failed');
      assert(/You are unsubscribed/.test(await statusNotice(page)), `the notice says "${await statusNotice(page)}"`);
      assert(await page.getByRole('button', { name: /email me a link to resubscribe/i }).isVisible(), 'no "Resubscribe" button');
    });
    await h.audit(page, `${phone.name} preferences unsubscribed`);
    await fitsPhone(h, page, phone, `${phone.name} preferences unsubscribed`);
    await h.check(`${phone.name}: "Resubscribe" emails a link; its one button brings the reader back without another confirmation email`, async () => {
      const link = await emailedLink(h, page, /email me a link to resubscribe/i, phoneEmail, 'Your link to come back');
      await openLink(page, link, 'Resubscribe?');
      assert((await press(page, /^resubscribe$/i)) === 200, 'POST of the link failed');
      assert((await h1(page)) === 'Welcome back', `the page says "${await h1(page)}"`);
      const mails = (await h.getJson<{ to: string; subject: string }[]>('/dev/outbox.json')).filter((m) => m.to === phoneEmail);
      assert(mails.filter((m) => m.subject.startsWith('Confirm')).length === 1, 'another confirmation email was sent');
      await page.goto(phoneLink);
    });
    const eraseLink = await h.check(`${phone.name}: "Erase my data" emails a link and erases nothing yet`, async () => {
      const link = await emailedLink(h, page, /email me a link to erase my data/i, phoneEmail, 'Your link to erase');
      const view = (await (await fetch(phoneLink, { headers: { accept: 'application/json' } })).json()) as { status: string };
      assert(view.status === 'confirmed', `the reader is ${view.status}`);
      return link;
    });
    await h.check(`${phone.name}: the emailed link's page asks first, with one button`, () => openLink(page, eraseLink, 'Erase your data?'));
    await h.audit(page, `${phone.name} preferences erase`);
    await fitsPhone(h, page, phone, `${phone.name} preferences erase`);
    await h.check(`${phone.name}: "Yes, erase my data" erases, and the links then lead nowhere`, async () => {
      assert((await press(page, /yes, erase my data/i)) === 200, 'POST erase confirm failed');
      assert((await h1(page)) === 'Your data is erased', `the page says "${await h1(page)}"`);
      const after = await fetch(phoneLink, { headers: { accept: 'application/json' } });
      assert(after.status === 404, `the link answered ${after.status} after erasure`);
      const again = await fetch(eraseLink, { method: 'POST', headers: { accept: 'application/json' } });
      assert(again.status === 404, `the erase link answered ${again.status} a second time`);
    });
    await h.audit(page, `${phone.name} preferences erased`);
  } finally {
    await page.close();
  }

  // ---- desktop: pause (README picture), move to a new address, download the data ---------------------
  const desktopEmail = 'e2e-prefs-desktop@example.com';
  const newEmail = 'e2e-prefs-moved@example.com';
  const desktopLink = await h.check(`${desktop.name}: a confirmed reader's welcome email has a "Manage your subscription" link`, () => confirmedReader(h, desktopEmail));
  page = await h.newPage(desktop);
  try {
    await openPage(h, page, desktop, desktopLink, desktopEmail);
    await h.audit(page, `${desktop.name} preferences`);
    await pauseAndResume(h, page, desktop, 4);
    await h.audit(page, `${desktop.name} preferences paused`);
    await h.check(`${desktop.name}: the paused page is the README picture`, async () => {
      const shot = await h.screenshot(page, 'desktop-preferences-readme');
      mkdirSync(DOCS, { recursive: true });
      copyFileSync(shot, join(DOCS, 'preferences.png'));
    });
    const downloadLink = await h.check(`${desktop.name}: "Email me a download link" sends a link to the reader's own address`, () =>
      emailedLink(h, page, /email me a download link/i, desktopEmail, 'Your link to download'),
    );
    await h.check(`${desktop.name}: the link's one button downloads this reader's data, with the issues sent to them; only once`, async () => {
      await openLink(page, downloadLink, 'Download your data');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /download my data/i }).click()]);
      assert(/-my-data\.json$/.test(download.suggestedFilename()), `the file is called ${download.suggestedFilename()}`);
      const data = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { subscriber: { email: string; status: string; pausedUntil: string | null }; issues: unknown[] };
      assert(data.subscriber.email === desktopEmail, `the data is ${data.subscriber.email}'s`);
      assert(data.subscriber.status === 'confirmed' && data.subscriber.pausedUntil, 'the pause is not in the data');
      assert(Array.isArray(data.issues), 'no list of issues');
      const again = await fetch(downloadLink, { method: 'POST', headers: { accept: 'application/json' } });
      assert(again.status === 410, `a second press answered ${again.status}`);
    });
    await h.audit(page, `${desktop.name} preferences download link`);
    await page.goto(desktopLink);
    const confirmMove = await h.check(`${desktop.name}: asking to move emails a link to the current address first`, async () => {
      await page.getByLabel('New email address').fill(newEmail);
      return emailedLink(h, page, /email me the link/i, desktopEmail, 'Your link to move');
    });
    await h.check(`${desktop.name}: its button sends the confirmation to the new address; the old address stays until that is used`, async () => {
      await openLink(page, confirmMove, 'Move your subscription?');
      assert((await press(page, /send the confirmation to the new address/i)) === 202, 'POST of the link failed');
      assert(new RegExp(`If ${newEmail.replace(/[.+]/g, '\\$&')} can take this subscription`).test(await statusNotice(page)), `the page says "${await statusNotice(page)}"`);
      const view = (await (await fetch(desktopLink, { headers: { accept: 'application/json' } })).json()) as { email: string };
      assert(view.email === desktopEmail, `moved already to ${view.email}`);
    });
    const moveLink = await h.check(`${desktop.name}: the new address gets its confirmation email, with "I did not ask for this"`, async () => {
      const mail = await h.waitForMail(newEmail, (s) => s.startsWith('Confirm your new address'), 'the email-change confirmation');
      assert(mail.text.includes(`I did not ask for this: ${h.base}/preferences/not-me?token=`), 'no "I did not ask for this" link');
      return h.urlIn(mail.text, `${h.base}/preferences/confirm-email?token=`);
    });
    await h.check(`${desktop.name}: its link shows one button and moves nothing by itself`, async () => {
      await openLink(page, moveLink, 'Confirm your new address');
      const view = await (await fetch(desktopLink, { headers: { accept: 'application/json' } })).json() as { email: string };
      assert(view.email === desktopEmail, `moved already to ${view.email}`);
    });
    await h.audit(page, `${desktop.name} preferences confirm new address`);
    await h.check(`${desktop.name}: pressing it moves the subscription; the page link from before the move then says what to do`, async () => {
      assert((await press(page, /move my subscription here/i)) === 200, 'POST confirm-email failed');
      assert((await h1(page)) === 'Your subscription moved', `the page says "${await h1(page)}"`);
      const response = await page.goto(desktopLink);
      assert(response?.status() === 410, `the old link answered ${response?.status()}`);
      assert(/newest email/.test((await page.locator('main').textContent()) ?? ''), 'the page does not say what to do');
    });
    // Chromium logs that expected 410 load as a console error; it is the one problem the page may have.
    page.problems = page.problems.filter((p) => !/status of 410 \(Gone\)/.test(p));
    const undoLink = await h.check(`${desktop.name}: the old address is told of the move, with an undo link`, async () => {
      const mail = await h.waitForMail(desktopEmail, (s) => s.includes('subscription moved to another address'), 'the notice to the old address');
      return h.urlIn(mail.text, `${h.base}/preferences/link?token=`);
    });
    await h.check(`${desktop.name}: the undo link's one button moves the subscription back`, async () => {
      await openLink(page, undoLink, 'Undo the move?');
      assert((await press(page, /move it back here/i)) === 200, 'POST undo failed');
      assert((await h1(page)) === 'Your subscription is back', `the page says "${await h1(page)}"`);
      const subscribers = await fetch(`${h.base}/dev/outbox.json`);
      assert(subscribers.ok, 'outbox unreachable');
    });
    await h.audit(page, `${desktop.name} preferences move undone`);
  } finally {
    await page.close();
  }
}
