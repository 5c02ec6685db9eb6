// Small helpers shared by the workerd tests: requests through the real Worker, waiting on the real queue.
import { env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { readConfig } from '../../src/config';
import { getDb } from '../../src/db/client';
import type { Article } from '../../src/issues/article';
import { runWeekly, type WeeklyResult } from '../../src/issues/cron';
import type { OutboxMail } from '../../src/mail/outbox';

export const BASE = 'http://localhost:8787';
let clientCounter = 0;

/** A request through the Worker's own fetch handler, from a fresh client IP unless one is given. */
export function call(path: string, init: RequestInit & { ip?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', init.ip ?? `10.0.${Math.floor(++clientCounter / 250)}.${clientCounter % 250}`);
  return exports.default.fetch(new Request(new URL(path, BASE), { ...init, headers }));
}

export function postJson(path: string, body: unknown, init: RequestInit & { ip?: string } = {}): Promise<Response> {
  return call(path, { ...init, method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', accept: 'application/json', ...init.headers } });
}

export function postForm(path: string, fields: Record<string, string>, init: RequestInit & { ip?: string } = {}): Promise<Response> {
  return call(path, { ...init, method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers } });
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type Mail = OutboxMail;

export async function outbox(): Promise<Mail[]> {
  const response = await call('/dev/outbox.json');
  return response.json();
}

export async function mailsTo(address: string): Promise<Mail[]> {
  return (await outbox()).filter((m) => m.to === address);
}

export function waitForMail(address: string, subjectIncludes: string, count = 1): Promise<Mail[]> {
  return waitFor(async () => {
    const mails = (await mailsTo(address)).filter((m) => m.subject.includes(subjectIncludes));
    return mails.length >= count ? mails : null;
  }, `${count} mail(s) "${subjectIncludes}" to ${address}`);
}

/** The first URL in a mail's text part that starts with `${BASE}${pathPrefix}`. */
export function linkIn(mail: Mail, pathPrefix: string): string {
  const match = mail.text.match(new RegExp(`${BASE.replace(/[.:/]/g, '\\$&')}${pathPrefix.replace(/[?]/g, '\\?')}[^\\s)\\]>"]*`));
  if (!match) throw new Error(`no ${pathPrefix} link in mail "${mail.subject}":\n${mail.text}`);
  return match[0];
}

export function tokenOf(url: string): string {
  return new URL(url).searchParams.get('token')!;
}

/** Subscribes through the JSON API and confirms through the emailed link: a confirmed reader. */
export async function subscribeAndConfirm(address: string, name?: string): Promise<void> {
  const response = await postJson('/subscribe', { email: address, name });
  if (response.status !== 202) throw new Error(`subscribe ${address}: ${response.status} ${await response.text()}`);
  const [mail] = await waitForMail(address, 'Confirm');
  const confirm = await call(linkIn(mail, '/confirm?token='), { method: 'POST', headers: { accept: 'application/json' } });
  if (confirm.status !== 200) throw new Error(`confirm ${address}: ${confirm.status} ${await confirm.text()}`);
}

export async function subscriberStatus(address: string): Promise<string | null> {
  const row = await env.DB.prepare('SELECT status FROM subscribers WHERE email = ?1').bind(address).first<{ status: string }>();
  return row?.status ?? null;
}

/** The weekly run as the cron does it (one Drizzle client, the validated config), with chosen articles. */
export async function weekly(now = Date.now(), articles?: readonly Article[]): Promise<WeeklyResult> {
  return runWeekly(getDb(env.DB), env, readConfig(env), now, articles);
}
