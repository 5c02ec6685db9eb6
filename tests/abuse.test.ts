// Abuse and privacy, round two (issue 11), through the real Worker, D1 and queue:
//  - bounced and complained addresses get no mail through the form, and the operator can lift that;
//  - the confirmation email carries nothing from the form, and a name waits aside until the link of
//    the sign-up that typed it confirms the address, so nobody else's sign-up can rename a reader.
// (The confirm page without a script, the outbox's host check and the production settings are rows
// of tests/hostile.test.ts and tests/config.test.ts; a scanner in Chromium is tests/e2e/scanner.ts.)
import { getDb } from '../src/db/client';
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { CONFIRMATION_INTERVAL_MS, signUp } from '../src/subscribers/lifecycle';
import { admin, adminJson, postWebhook, resendEvent } from './support/admin';
import { call, linkIn, mailsTo, postJson, subscribeAndConfirm, subscriberStatus, waitFor, waitForMail } from './support/helpers';

async function row(email: string) {
  return env.DB.prepare('SELECT status, name, pending_name AS pendingName, confirmation_sent_at AS sentAt, left_at AS leftAt FROM subscribers WHERE email = ?1')
    .bind(email)
    .first<{ status: string; name: string | null; pendingName: string | null; sentAt: number | null; leftAt: number | null }>();
}

/** The form's answer for every address: 202 pending, whatever its state. */
async function subscribe(email: string, name?: string) {
  const response = await postJson('/subscribe', { email, name });
  expect(response.status, email).toBe(202);
  expect(await response.json()).toEqual({ status: 'pending' });
}

/** Proves a queue that would have mailed `email` has run: another address's confirmation arrived after it. */
async function queueHasCaughtUp(tag: string) {
  const control = `control-${tag}@abuse.example`;
  await subscribe(control);
  await waitForMail(control, 'Confirm');
}

describe('suppressed addresses and the form', () => {
  for (const [event, status] of [
    [resendEvent('email.bounced', { to: 'gone@abuse.example', bounce: { type: 'Permanent' } }), 'bounced'],
    [resendEvent('email.complained', { to: 'annoyed@abuse.example' }), 'complained'],
  ] as const) {
    const email = status === 'bounced' ? 'gone@abuse.example' : 'annoyed@abuse.example';

    it(`${status}: the form gives the same answer and sends nothing, even 15 minutes on; the operator's lift makes the form work again`, async () => {
      await subscribeAndConfirm(email, 'Reader');
      const [confirmation] = await waitForMail(email, 'Confirm');
      expect((await postWebhook(event)).status).toBe(200);
      expect(await subscriberStatus(email)).toBe(status);
      // Past the 15-minute rule, so only the status can be what stops the mail.
      await env.DB.prepare('UPDATE subscribers SET confirmation_sent_at = ?2 WHERE email = ?1').bind(email, Date.now() - 2 * CONFIRMATION_INTERVAL_MS).run();
      const before = await row(email);

      await subscribe(email, 'A third party');
      await subscribe(email.toUpperCase());
      expect(await row(email)).toEqual(before); // nothing claimed, nothing kept aside
      await queueHasCaughtUp(status);
      expect((await mailsTo(email)).filter((m) => m.subject.startsWith('Confirm'))).toHaveLength(1); // the original one only

      // The operator lifts it: unsubscribed, and the form works at once.
      const lifted = await admin(`/api/subscribers/${encodeURIComponent(email)}/suppression`, { method: 'DELETE' });
      expect(lifted.status).toBe(200);
      // The outbox transport: no provider list to lift (through Resend: tests/provider.test.ts).
      expect(await lifted.json()).toEqual({ email, status: 'unsubscribed', provider: 'none' });
      expect((await adminJson('/api/subscribers?status=unsubscribed')).subscribers.map((s: { email: string }) => s.email)).toContain(email);
      // Lifting twice: nothing left to lift.
      expect((await admin(`/api/subscribers/${encodeURIComponent(email)}/suppression`, { method: 'DELETE' })).status).toBe(404);
      // A confirmation link sent before the bounce or complaint stays dead.
      expect((await call(linkIn(confirmation, '/confirm?token='), { method: 'POST', headers: { accept: 'application/json' } })).status).toBe(400);
      expect(await subscriberStatus(email)).toBe('unsubscribed');

      await subscribe(email, 'Back again');
      const mails = await waitForMail(email, 'Confirm', 2);
      const fresh = mails.find((m) => m.id !== confirmation.id)!;
      expect((await call(linkIn(fresh, '/confirm?token='), { method: 'POST' })).status).toBe(200);
      expect(await row(email)).toMatchObject({ status: 'confirmed', name: 'Back again', pendingName: null });
    });
  }

  it('lifts a suppression for an address that needs encoding in the path', async () => {
    const email = "o'hara/x+y@abuse.example";
    await env.DB.prepare(`INSERT INTO subscribers (email, status, created_at) VALUES (?1, 'bounced', ?2)`).bind(email, Date.now()).run();
    const response = await admin(`/api/subscribers/${encodeURIComponent(email.toUpperCase())}/suppression`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await subscriberStatus(email)).toBe('unsubscribed');
  });

  it('does not lift what is not a suppression: confirmed, pending and unsubscribed stay as they are (404)', async () => {
    for (const status of ['confirmed', 'pending', 'unsubscribed']) {
      const email = `stays-${status}@abuse.example`;
      await env.DB.prepare(`INSERT INTO subscribers (email, status, created_at) VALUES (?1, ?2, ?3)`).bind(email, status, Date.now()).run();
      const response = await admin(`/api/subscribers/${encodeURIComponent(email)}/suppression`, { method: 'DELETE' });
      expect(response.status, status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'not_suppressed' } });
      expect(await subscriberStatus(email)).toBe(status);
    }
  });
});

describe('form text and the confirmation email', () => {
  const EVIL = 'URGENT your account is locked, restore it at https://evil.example/restore now';

  it('never puts the form name into the confirmation email', async () => {
    const email = 'ann@names.example';
    await subscribe(email, EVIL);
    const [mail] = await waitForMail(email, 'Confirm');
    for (const part of [mail.subject, mail.html, mail.text]) {
      expect(part).not.toContain('URGENT');
      expect(part).not.toContain('evil.example');
    }
    expect(mail.text).toContain('Hi there,');
  });

  it("keeps a later sign-up's name away from the reader who confirms through their own, earlier link", async () => {
    const email = 'victim@names.example';
    const t0 = Date.now() - 2 * CONFIRMATION_INTERVAL_MS;
    // The real person signs up (a while ago) and gets their link.
    expect(await signUp(getDb(env.DB), env, email, 'Ann', t0)).toBe('confirmation_queued');
    const [theirs] = await waitForMail(email, 'Confirm');
    // Someone else, 15 minutes later, posts the same address with their text: a new confirmation goes out, without that text.
    await subscribe(email, EVIL);
    const mails = await waitForMail(email, 'Confirm', 2);
    expect(mails.every((m) => !m.text.includes('URGENT'))).toBe(true);
    expect(await row(email)).toMatchObject({ status: 'pending', name: null, pendingName: EVIL });

    // The real person confirms through their own link: their address, and not the other sign-up's name.
    expect((await call(linkIn(theirs, '/confirm?token='), { method: 'POST' })).status).toBe(200);
    expect(await row(email)).toMatchObject({ status: 'confirmed', name: null, pendingName: null });
    const [welcome] = await waitForMail(email, 'Welcome');
    expect(welcome.text).not.toContain('URGENT');
    expect(welcome.text).toContain('Hi there,');
  });

  it('leaves the stored name of a reader who left alone when someone signs their address up again', async () => {
    const email = 'left@names.example';
    await subscribeAndConfirm(email, 'Grace');
    const [welcome] = await waitForMail(email, 'Welcome');
    expect((await call(linkIn(welcome, '/unsubscribe?token='), { method: 'POST' })).status).toBe(200);
    await env.DB.prepare('UPDATE subscribers SET confirmation_sent_at = ?2 WHERE email = ?1').bind(email, Date.now() - 2 * CONFIRMATION_INTERVAL_MS).run();

    await subscribe(email, EVIL);
    await waitForMail(email, 'Confirm', 2);
    expect(await row(email)).toMatchObject({ status: 'unsubscribed', name: 'Grace', pendingName: EVIL });
    // Their own new sign-up, confirmed through its own link, is what renames them.
    await env.DB.prepare('UPDATE subscribers SET confirmation_sent_at = ?2 WHERE email = ?1').bind(email, Date.now() - 2 * CONFIRMATION_INTERVAL_MS).run();
    await subscribe(email, 'Grace H.');
    const mails = await waitForMail(email, 'Confirm', 3);
    const latest = mails[0]; // newest first
    expect((await call(linkIn(latest, '/confirm?token='), { method: 'POST' })).status).toBe(200);
    expect(await row(email)).toMatchObject({ status: 'confirmed', name: 'Grace H.', pendingName: null });
  });

  it('keeps the stored name when the confirming sign-up gave none', async () => {
    const email = 'keeps@names.example';
    await subscribeAndConfirm(email, 'Hedy');
    const [welcome] = await waitForMail(email, 'Welcome');
    expect(welcome.text).toContain('Hi Hedy,');
    expect((await call(linkIn(welcome, '/unsubscribe?token='), { method: 'POST' })).status).toBe(200);
    await env.DB.prepare('UPDATE subscribers SET confirmation_sent_at = NULL WHERE email = ?1').bind(email).run();
    await subscribe(email);
    const mails = await waitForMail(email, 'Confirm', 2);
    expect((await call(linkIn(mails[0], '/confirm?token='), { method: 'POST' })).status).toBe(200);
    await waitFor(async () => (await row(email))?.status === 'confirmed', 'confirmed again');
    expect(await row(email)).toMatchObject({ name: 'Hedy', pendingName: null });
  });
});
