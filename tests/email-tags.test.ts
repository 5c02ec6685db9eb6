// What every email carries to the provider, read back from a fake Resend of this file's own (real
// SDK, real HTTP): Resend tags naming its kind (and, for an issue, the slug), so Resend's own logs
// can be filtered; a Reply-To that defaults to the FROM_EMAIL address; the postal address.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { type Env, readConfig } from '../src/config';
import { getDb } from '../src/db/client';
import { deliverChunk } from '../src/issues/deliver';
import { startSend } from '../src/issues/plan';
import { sendTestCopy } from '../src/issues/test-copy';
import { ResendTransport } from '../src/mail/resend';
import { emailTags } from '../src/mail/tags';
import type { OutgoingEmail, SendOutcome } from '../src/mail/transport';
import type { ChunkMessage, QueueMessage } from '../src/messages';
import { sendConfirmation, sendWelcome } from '../src/subscribers/notices';
import { seedConfirmed } from './support/d1';
import { postJson, waitForMail } from './support/helpers';

const FAKE = env.FAKE_RESEND_EMAILS_URL;
const KEY = 're_test_key';
const FROM = 'The Letter <letter@news.example.com>';
const POSTAL = 'Example Ltd, 1 Main Street, Springfield, USA';

const chunks: ChunkMessage[] = [];
const capture = {
  send: async (m: QueueMessage) => void chunks.push(m as ChunkMessage),
  sendBatch: async (ms: { body: QueueMessage }[]) => void chunks.push(...ms.map((m) => m.body as ChunkMessage)),
} as unknown as Queue<QueueMessage>;
const renv: Env = { ...env, EMAIL_TRANSPORT: 'resend', RESEND_API_KEY: KEY, RESEND_BASE_URL: FAKE, SEND_RATE_PER_SECOND: '1000', FROM_EMAIL: FROM, POSTAL_ADDRESS: POSTAL, SEND_QUEUE: capture };
const config = readConfig(renv);
const db = getDb(env.DB);
const transport = new ResendTransport(db, config);

interface AtResend {
  to: string[];
  subject: string;
  reply_to: string[] | null;
  tags: { name: string; value: string }[];
  text: string;
}

/** The email as Resend stored it, by the id Resend answered. */
async function atResend(id: string): Promise<AtResend> {
  const response = await fetch(`${FAKE}/emails/${id}`);
  expect(response.status).toBe(200);
  return response.json();
}
function idOf(result: SendOutcome | null): string {
  if (result?.kind !== 'accepted') throw new Error(`not sent: ${JSON.stringify(result)}`);
  const outcome = result.outcomes[0]!;
  if ('error' in outcome) throw new Error(outcome.error);
  return outcome.id;
}

async function pendingSubscriber(email: string, requestedAt: number): Promise<number> {
  const row = await env.DB.prepare(`INSERT INTO subscribers (email, status, created_at, confirmation_sent_at) VALUES (?1, 'pending', ?2, ?2) RETURNING id`)
    .bind(email, requestedAt)
    .first<{ id: number }>();
  return row!.id;
}

describe('every email sent through Resend', () => {
  it('the confirmation: kind "confirmation", Reply-To the FROM_EMAIL address, the postal address', async () => {
    const at = Date.now();
    const id = await pendingSubscriber('tags-confirm@example.com', at);
    const email = await atResend(idOf(await sendConfirmation(db, config, transport, { type: 'confirmation', subscriberId: id, requestedAt: at })));
    expect(email.subject).toMatch(/^Confirm/);
    expect(email.tags).toEqual([{ name: 'kind', value: 'confirmation' }]);
    expect(email.reply_to).toEqual(['letter@news.example.com']);
    expect(email.text).toContain(POSTAL);
  });

  it('the welcome: kind "welcome"', async () => {
    const [id] = await seedConfirmed(env.DB, 'tags-welcome', 1);
    const { confirmedAt } = (await env.DB.prepare('SELECT confirmed_at AS confirmedAt FROM subscribers WHERE id = ?1').bind(id).first<{ confirmedAt: number }>())!;
    const email = await atResend(idOf(await sendWelcome(db, config, transport, { type: 'welcome', subscriberId: id!, confirmedAt })));
    expect(email.subject).toMatch(/^Welcome/);
    expect(email.tags).toEqual([{ name: 'kind', value: 'welcome' }]);
    expect(email.reply_to).toEqual(['letter@news.example.com']);
  });

  it('an issue: kind "issue" and the slug, for every reader of a chunk', async () => {
    await seedConfirmed(env.DB, 'tags-issue', 3);
    const slug = `tagged-issue-${Date.now()}`;
    chunks.length = 0;
    const started = await startSend(db, renv, config, { slug, title: 'Tagged', date: '2026-01-01', summary: 'A tagged issue.', markdown: 'Hello.' });
    expect(started.started).toBe(true);
    for (const chunk of chunks) expect(await deliverChunk(db, config, transport, chunk)).toMatchObject({ kind: 'done', failed: 0 });
    const { results } = await env.DB.prepare('SELECT resend_id AS id FROM deliveries d JOIN sends s ON s.id = d.send_id WHERE s.slug = ?1').bind(slug).all<{ id: string }>();
    expect(results.length).toBeGreaterThanOrEqual(3);
    for (const { id } of results) {
      const email = await atResend(id);
      // Plus the delivery record's ids, which Resend's webhooks bring back.
      expect(email.tags.slice(0, 2)).toEqual([{ name: 'kind', value: 'issue' }, { name: 'slug', value: slug }]);
      expect(email.tags.slice(2).map((t) => t.name)).toEqual(['send', 'reader']);
      expect(email.reply_to).toEqual(['letter@news.example.com']);
      expect(email.text).toContain('Replies to this email reach the author');
      expect(email.text).toContain(POSTAL);
    }
  });

  it('a test copy: kind "test" and the slug', async () => {
    const article = { slug: 'tagged-test-copy', title: 'Test copy', date: '2026-01-01', summary: 'A test copy.', markdown: 'Hello.' };
    const email = await atResend(idOf(await sendTestCopy(db, renv, config, article, 'tags-test@example.com')));
    expect(email.subject).toBe('[TEST] Test copy');
    expect(email.tags).toEqual([{ name: 'kind', value: 'test' }, { name: 'slug', value: 'tagged-test-copy' }]);
  });
});

describe('Resend tags', () => {
  const base: OutgoingEmail = { to: 'tags-rules@example.com', from: FROM, replyTo: 'letter@news.example.com', subject: 'Tags', html: '<p>x</p>', text: 'x', headers: {}, tags: {} };
  const send = async (tags: OutgoingEmail['tags']) => {
    const result = await transport.send([{ ...base, tags }], `tags-${crypto.randomUUID()}`);
    if (result.kind !== 'accepted') throw new Error(result.message);
    return result.outcomes[0]!;
  };

  it('are checked by the fake as Resend checks them: ASCII letters, digits, _ and -, at most 256 characters', async () => {
    expect(await send({ kind: 'issue', slug_2: `a-${'b'.repeat(254)}` })).toHaveProperty('id');
    for (const bad of [{ kind: 'two words' }, { kind: 'é' }, { kind: 'x'.repeat(257) }, { '': 'x' }, { 'a.b': 'x' }] as Record<string, string>[]) {
      expect(await send(bad), JSON.stringify(bad).slice(0, 60)).toMatchObject({ error: expect.stringMatching(/tags/) });
    }
  });

  it('made here always pass those rules (kinds are words, slugs are checked at build, ids are digits)', () => {
    for (const kind of ['issue', 'confirmation', 'welcome', 'test'] as const) {
      const tags = emailTags(kind, 'a-slug-of-200-' + 'x'.repeat(186), { sendId: 12, subscriberId: 9_007_199_254 });
      for (const [name, value] of Object.entries(tags)) expect(name + value).toMatch(/^[A-Za-z0-9_-]{1,512}$/);
    }
  });
});

describe('Reply-To', () => {
  it('defaults to the FROM_EMAIL address in the outbox too', async () => {
    const address = 'reply-to-default@example.com';
    expect((await postJson('/subscribe', { email: address })).status).toBe(202);
    const [mail] = await waitForMail(address, 'Confirm');
    expect(mail!.headers['Reply-To']).toBe('newsletter@example.com'); // wrangler.toml: "The Weekly Letter <newsletter@example.com>"
  });
});
