// Helpers for the operator's side: admin API calls with the bearer token, CSV imports, and Resend
// webhooks signed with the real `standardwebhooks` library (as Resend/Svix sign them).
import { env } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { app } from '../../src/app';
import { BASE, call } from './helpers';

export const ADMIN_TOKEN = env.ADMIN_TOKEN!;
export const WEBHOOK_SECRET = env.RESEND_WEBHOOK_SECRET!;

export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  return call(path, { ...init, headers });
}

export async function adminJson<T = any>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await admin(path, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<T>;
}

export interface ImportReport {
  imported: number;
  skipped: number;
  invalid: { line: number; reason: string }[];
}

export async function importCsv(csv: string, status?: 'confirmed' | 'pending'): Promise<ImportReport> {
  return adminJson<ImportReport>(`/api/subscribers/import${status ? `?status=${status}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
}

/** The Worker's app with some bindings changed (e.g. a secret missing), for what the test config cannot vary. */
export function callWithEnv(overrides: Record<string, unknown>, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('cf-connecting-ip', '10.9.9.9');
  return Promise.resolve(app.fetch(new Request(new URL(path, BASE), { ...init, headers }), { ...env, ...overrides }));
}

let webhookCounter = 0;

export interface SignOptions {
  id?: string;
  secret?: string;
  timestamp?: Date;
  /** Sign this body but send another (tampering). */
  sendBody?: string;
  headers?: Record<string, string>;
}

export function signedWebhookRequest(payload: unknown, options: SignOptions = {}): RequestInit & { id: string } {
  const id = options.id ?? `msg_test_${Date.now()}_${++webhookCounter}`;
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const timestamp = options.timestamp ?? new Date();
  const signature = new Webhook(options.secret ?? WEBHOOK_SECRET).sign(id, timestamp, body);
  return {
    id,
    method: 'POST',
    body: options.sendBody ?? body,
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'svix-signature': signature,
      ...options.headers,
    },
  };
}

export function postWebhook(payload: unknown, options: SignOptions = {}): Promise<Response> {
  return call('/webhooks/resend', signedWebhookRequest(payload, options));
}

/** A Resend email event as its docs describe it. */
export function resendEvent(type: string, data: { emailId?: string; to?: string; tags?: Record<string, string>; [extra: string]: unknown }) {
  const { emailId, to, ...extra } = data;
  return {
    type,
    created_at: new Date().toISOString(),
    data: {
      created_at: new Date().toISOString(),
      email_id: emailId,
      from: 'The Weekly Letter <newsletter@example.com>',
      to: to ? [to] : [],
      subject: 'An issue',
      ...extra,
    },
  };
}
