// Moving in from another newsletter: each tool's subscriber export imported as it comes, through the
// real Worker and D1. The fixtures (tests/fixtures/import/) are small files written in each tool's
// layout: Mailchimp's three audience files, Substack, Ghost, beehiiv and listmonk.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { keptTimes } from '../src/subscribers/import';
import { IMPORT_FORMATS, parseTime, recognizeLayout } from '../src/subscribers/sources';
import beehiiv from './fixtures/import/beehiiv.csv?raw';
import ghost from './fixtures/import/ghost.csv?raw';
import listmonk from './fixtures/import/listmonk.csv?raw';
import mailchimpCleaned from './fixtures/import/mailchimp-cleaned.csv?raw';
import mailchimpSubscribed from './fixtures/import/mailchimp-subscribed.csv?raw';
import mailchimpUnsubscribed from './fixtures/import/mailchimp-unsubscribed.csv?raw';
import substack from './fixtures/import/substack.csv?raw';
import { admin, adminJson } from './support/admin';
import { mailsTo, waitForMail } from './support/helpers';

interface Report {
  format: string;
  imported: number;
  skipped: number;
  lowered: number;
  statuses: Record<string, number>;
  invalid: { line: number; reason: string }[];
  skippedRows: { line: number; reason: string }[];
  dryRun?: true;
}

function importFile(csv: string, status: 'confirmed' | 'pending' = 'confirmed', dryRun = false): Promise<Report> {
  return adminJson<Report>(`/api/subscribers/import?status=${status}${dryRun ? '&dry_run=1' : ''}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
}

interface Stored {
  name: string | null;
  status: string;
  created_at: number;
  confirmed_at: number | null;
  left_at: number | null;
}

function stored(email: string): Promise<Stored | null> {
  return env.DB.prepare('SELECT name, status, created_at, confirmed_at, left_at FROM subscribers WHERE email = ?1').bind(email).first<Stored>();
}

async function everyone(domain: string): Promise<Record<string, Stored>> {
  const { results } = await env.DB.prepare('SELECT email, name, status, created_at, confirmed_at, left_at FROM subscribers WHERE email LIKE ?1 ORDER BY email').bind(`%@${domain}`).all<Stored & { email: string }>();
  return Object.fromEntries(results.map(({ email, ...row }) => [email, row]));
}

const at = (iso: string) => Date.parse(iso);
const counts = (partial: Record<string, number>) => ({ confirmed: 0, pending: 0, unsubscribed: 0, bounced: 0, ...partial });

describe('recognising an export by its header', () => {
  it('tells every layout apart, as the tools write them, and keeps the plain file plain', () => {
    const first = (csv: string) => csv.split(/\r?\n/)[0].split(',');
    expect(recognizeLayout(first(mailchimpSubscribed))?.label).toBe('Mailchimp (subscribed file)');
    expect(recognizeLayout(first(mailchimpUnsubscribed))?.label).toBe('Mailchimp (unsubscribed file)');
    expect(recognizeLayout(first(mailchimpCleaned))?.label).toBe('Mailchimp (cleaned file)');
    expect(recognizeLayout(first(substack))?.format).toBe('substack');
    expect(recognizeLayout(first(ghost))?.format).toBe('ghost');
    expect(recognizeLayout(first(beehiiv))?.format).toBe('beehiiv');
    expect(recognizeLayout(first(listmonk))?.format).toBe('listmonk');
    expect(recognizeLayout(['email', 'name', 'status'])?.format).toBe('plain');
    // Our own export imports back as the plain file it is.
    expect(recognizeLayout(['email', 'name', 'status', 'created_at', 'confirmed_at'])?.format).toBe('plain');
    expect(recognizeLayout(['Email Address', 'First Name', 'Last Name'])?.format).toBe('plain');
    expect(recognizeLayout(['name', 'address'])).toBeNull();
    expect([...IMPORT_FORMATS].sort()).toEqual(['beehiiv', 'ghost', 'listmonk', 'mailchimp', 'plain', 'substack']);
  });

  it('reads each tool\'s times (no zone is UTC) and refuses what is not a time', () => {
    expect(parseTime('2019-03-01 10:05:30')).toBe(at('2019-03-01T10:05:30Z'));
    expect(parseTime('2018-08-27T15:06:27.713Z')).toBe(at('2018-08-27T15:06:27.713Z'));
    expect(parseTime('2023-03-24 10:23:10 UTC')).toBe(at('2023-03-24T10:23:10Z'));
    expect(parseTime('2022-07-08 09:10:11.123456 +0000 UTC')).toBe(at('2022-07-08T09:10:11.123Z'));
    expect(parseTime('2021-01-02 03:04:05 +0530 IST')).toBe(at('2021-01-01T21:34:05Z'));
    expect(parseTime('2021-01-02T03:04:05-05:00')).toBe(at('2021-01-02T08:04:05Z'));
    expect(parseTime('2021-01-02')).toBe(at('2021-01-02T00:00:00Z'));
    for (const bad of ['', 'yesterday', '2023-02-31 00:00:00', '2023-13-01', '2023-01-01 25:00:00', '1690000000']) expect(parseTime(bad)).toBeNull();
  });

  it('keeps a source\'s times only as far as they can be true: never in the future, consent not before sign-up', () => {
    const now = at('2026-12-06T00:00:00Z');
    expect(keptTimes('confirmed', { createdAt: at('2099-01-01T00:00:00Z'), confirmedAt: at('2099-01-01T00:00:00Z'), leftAt: null }, now)).toEqual({ createdAt: now, confirmedAt: now, leftAt: null });
    expect(keptTimes('confirmed', { createdAt: null, confirmedAt: null, leftAt: null }, now)).toEqual({ createdAt: now, confirmedAt: now, leftAt: null });
    expect(keptTimes('confirmed', { createdAt: at('2020-01-02T00:00:00Z'), confirmedAt: at('2020-01-01T00:00:00Z'), leftAt: null }, now)).toEqual({ createdAt: at('2020-01-01T00:00:00Z'), confirmedAt: at('2020-01-01T00:00:00Z'), leftAt: null });
    // Pending: consent is still to come here; left: when they left there (or now), never before they joined.
    expect(keptTimes('pending', { createdAt: at('2020-01-01T00:00:00Z'), confirmedAt: at('2020-01-01T00:00:00Z'), leftAt: null }, now)).toEqual({ createdAt: at('2020-01-01T00:00:00Z'), confirmedAt: null, leftAt: null });
    expect(keptTimes('unsubscribed', { createdAt: at('2020-01-01T00:00:00Z'), confirmedAt: at('2020-01-01T00:00:00Z'), leftAt: null }, now).leftAt).toBe(now);
    expect(keptTimes('bounced', { createdAt: at('2020-01-01T00:00:00Z'), confirmedAt: at('2020-06-01T00:00:00Z'), leftAt: at('2019-01-01T00:00:00Z') }, now).leftAt).toBe(at('2020-06-01T00:00:00Z'));
  });

  it('a row with bytes that are not text in any cell (a garbled status) is invalid, never imported as the requested status', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('email,status\ngarbled@enc.example,unsubscr'), 0xff, ...new TextEncoder().encode('bed\nclean@enc.example,\n')]);
    const response = await admin('/api/subscribers/import?status=confirmed', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: bytes });
    expect(await response.json()).toMatchObject({ imported: 1, invalid: [{ line: 2, reason: expect.stringMatching(/UTF-8/) }] });
    expect(await stored('garbled@enc.example')).toBeNull();
  });

  it('refuses a file of no known layout, naming the headers it expected, and stores nothing', async () => {
    const response = await admin('/api/subscribers/import?status=confirmed', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'Subscriber,Joined\nnobody@unknown.example,2020-01-01\n' });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('missing_email_column');
    for (const expected of ['"email"', 'Email Address', 'UNSUB_TIME', 'email_disabled', 'subscribed_to_emails', 'beehiiv', 'uuid']) expect(error.message).toContain(expected);
    expect(await stored('nobody@unknown.example')).toBeNull();
  });
});

describe('Mailchimp: the subscribed, unsubscribed and cleaned files', () => {
  it('imports the subscribed file with names and the original opt-in and confirmation times', async () => {
    const before = Date.now();
    const report = await importFile(mailchimpSubscribed);
    expect(report).toMatchObject({ format: 'mailchimp', imported: 5, skipped: 0, lowered: 0, statuses: counts({ confirmed: 4, pending: 1 }), skippedRows: [] });
    expect(report.invalid).toEqual([{ line: 6, reason: expect.stringMatching(/@/) }]);
    expect(await stored('ann.archer@mc.example')).toEqual({ name: 'Ann Archer', status: 'confirmed', created_at: at('2019-03-01T10:00:00Z'), confirmed_at: at('2019-03-01T10:05:30Z'), left_at: null });
    // No opt-in time: the confirmation is the sign-up; no name columns filled: no name.
    expect(await stored('bob@mc.example')).toEqual({ name: null, status: 'confirmed', created_at: at('2020-06-15T08:30:00Z'), confirmed_at: at('2020-06-15T08:30:00Z'), left_at: null });
    expect((await stored('cara@mc.example'))?.name).toBe('Cara');
    // A time in the future is a wrong clock there, not a fact: it becomes the time of the import.
    const future = await stored('future@mc.example');
    expect(future!.created_at).toBeGreaterThanOrEqual(before);
    expect(future!.created_at).toBeLessThanOrEqual(Date.now());
    expect(future!.confirmed_at).toBe(future!.created_at);
    // Nobody was mailed (consent was collected at Mailchimp) but the contact with no opt-in or
    // confirmation time on record: asked to confirm here.
    expect(await mailsTo('ann.archer@mc.example')).toHaveLength(0);
    expect(await stored('no-consent@mc.example')).toMatchObject({ name: 'Nora', status: 'pending', confirmed_at: null });
    await waitForMail('no-consent@mc.example', 'Confirm');
  });

  it('then the unsubscribed and cleaned files lower those readers; the subscribed file again changes nothing', async () => {
    const unsubscribed = await importFile(mailchimpUnsubscribed);
    expect(unsubscribed).toMatchObject({ format: 'mailchimp', imported: 0, skipped: 2, lowered: 1, statuses: counts({ unsubscribed: 2 }), invalid: [] });
    expect(await stored('ann.archer@mc.example')).toEqual({ name: 'Ann Archer', status: 'unsubscribed', created_at: at('2019-03-01T10:00:00Z'), confirmed_at: at('2019-03-01T10:05:30Z'), left_at: at('2023-05-06T07:08:09Z') });
    expect(await stored('dora@mc.example')).toMatchObject({ name: 'Doyle', status: 'unsubscribed', left_at: at('2022-12-05T21:01:47Z') });

    const cleaned = await importFile(mailchimpCleaned);
    expect(cleaned).toMatchObject({ format: 'mailchimp', imported: 0, skipped: 2, lowered: 1, statuses: counts({ bounced: 2 }) });
    expect(await stored('bob@mc.example')).toMatchObject({ status: 'bounced', left_at: at('2024-01-02T03:04:05Z') });
    expect(await stored('ed@mc.example')).toMatchObject({ name: 'Ed Eames', status: 'bounced', confirmed_at: at('2018-02-05T19:28:23Z') });

    // A more subscribed state never wins: the subscribed file again brings nobody back.
    const listBefore = await everyone('mc.example');
    const again = await importFile(mailchimpSubscribed);
    expect(again).toMatchObject({ imported: 0, skipped: 5, lowered: 0 });
    expect(await everyone('mc.example')).toEqual(listBefore);
    // Nor does pending (which would mail them a confirmation).
    await importFile(mailchimpSubscribed, 'pending');
    expect(await everyone('mc.example')).toEqual(listBefore);
    expect(await mailsTo('ann.archer@mc.example')).toHaveLength(0);
    // And the lowering files again are no-ops too.
    expect(await importFile(mailchimpUnsubscribed)).toMatchObject({ imported: 0, lowered: 0 });
    expect(await importFile(mailchimpCleaned)).toMatchObject({ imported: 0, lowered: 0 });
    expect(await everyone('mc.example')).toEqual(listBefore);
  });

  it('in the other order, the unsubscribed file first: the subscribed file does not bring them back', async () => {
    const moved = (csv: string) => csv.replaceAll('@mc.example', '@mc-reverse.example');
    await importFile(moved(mailchimpUnsubscribed));
    const report = await importFile(moved(mailchimpSubscribed));
    expect(report).toMatchObject({ imported: 4, lowered: 0 }); // bob, cara, future, no-consent are new; ann stays out
    expect(await stored('ann.archer@mc-reverse.example')).toMatchObject({ status: 'unsubscribed', left_at: at('2023-05-06T07:08:09Z') });
  });
});

describe('Substack, Ghost, beehiiv and listmonk', () => {
  it('Substack: email_disabled is unsubscribed, deletion requests are skipped with the reason', async () => {
    const report = await importFile(substack);
    expect(report).toMatchObject({ format: 'substack', imported: 2, skipped: 2, lowered: 0, statuses: counts({ confirmed: 2, unsubscribed: 1 }), invalid: [] });
    expect(report.skippedRows).toEqual([{ line: 4, reason: expect.stringMatching(/deletion request/i) }]);
    expect(await stored('eve@ss.example')).toEqual({ name: null, status: 'confirmed', created_at: at('2020-08-27T15:06:27.713Z'), confirmed_at: at('2020-08-27T15:06:27.713Z'), left_at: null });
    expect(await stored('fred@ss.example')).toMatchObject({ status: 'unsubscribed', created_at: at('2019-01-02T03:04:05Z') });
    expect(await stored('x7k2mq@deletion-request.substack.com')).toBeNull();
  });

  it('Ghost: subscribed_to_emails=false is unsubscribed, deleted members are skipped', async () => {
    const report = await importFile(ghost);
    expect(report).toMatchObject({ format: 'ghost', imported: 1, skipped: 2, statuses: counts({ confirmed: 1, unsubscribed: 1 }) });
    expect(report.skippedRows).toEqual([{ line: 4, reason: expect.stringMatching(/deleted/i) }]);
    expect(await stored('gus@gh.example')).toEqual({ name: 'Gus Grant', status: 'confirmed', created_at: at('2021-05-06T07:08:09Z'), confirmed_at: at('2021-05-06T07:08:09Z'), left_at: null });
    expect(await stored('hal@gh.example')).toMatchObject({ name: 'Hal', status: 'unsubscribed' });
    expect(await stored('gone@gh.example')).toBeNull();
  });

  it('beehiiv: every status, names from first and last name, the Substack sign-up date kept', async () => {
    const report = await importFile(beehiiv);
    expect(report).toMatchObject({ format: 'beehiiv', imported: 3, skipped: 4, statuses: counts({ confirmed: 2, pending: 1, unsubscribed: 2, bounced: 1 }) });
    expect(report.skippedRows).toEqual([{ line: 7, reason: expect.stringContaining('frozen') }]);
    expect(await stored('ivy@bh.example')).toEqual({ name: 'Ivy Irons', status: 'confirmed', created_at: at('2023-03-24T10:23:10Z'), confirmed_at: at('2023-03-24T10:23:10Z'), left_at: null });
    expect(await stored('jon@bh.example')).toMatchObject({ status: 'unsubscribed' });
    expect(await stored('kim@bh.example')).toMatchObject({ name: 'Kline', status: 'unsubscribed', left_at: at('2024-02-03T04:05:06Z') });
    expect(await stored('leo@bh.example')).toMatchObject({ status: 'bounced' });
    expect(await stored('ola@bh.example')).toMatchObject({ status: 'confirmed', created_at: at('2019-09-09T09:09:09Z') });
    // Pending at beehiiv: not confirmed there, so asked here, even under status=confirmed.
    expect(await stored('mia@bh.example')).toMatchObject({ status: 'pending', confirmed_at: null });
    await waitForMail('mia@bh.example', 'Confirm');
    expect(await mailsTo('jon@bh.example')).toHaveLength(0);
  });

  it('listmonk: disabled and blocklisted are unsubscribed; Go-style times with their zones', async () => {
    const report = await importFile(listmonk);
    expect(report).toMatchObject({ format: 'listmonk', imported: 1, skipped: 2, statuses: counts({ confirmed: 1, unsubscribed: 2 }) });
    expect(await stored('pam@lm.example')).toEqual({ name: 'Pam Price', status: 'confirmed', created_at: at('2022-07-08T09:10:11.123Z'), confirmed_at: at('2022-07-08T09:10:11.123Z'), left_at: null });
    expect(await stored('quin@lm.example')).toMatchObject({ status: 'unsubscribed', created_at: at('2021-01-01T21:34:05Z'), left_at: at('2024-03-04T05:06:07Z') });
    expect(await stored('rex@lm.example')).toMatchObject({ status: 'unsubscribed' });
  });

  it('a file naming one reader twice lowers them to the least subscribed of its states', async () => {
    await importFile('email\ntwice@order.example\n');
    const report = await importFile('email,status\ntwice@order.example,bounced\ntwice@order.example,unsubscribed\n');
    expect(report).toMatchObject({ imported: 0, lowered: 1 });
    expect(await stored('twice@order.example')).toMatchObject({ status: 'bounced' });
  });

  it('an erased address stays out whatever the source says', async () => {
    const csv = ghost.replaceAll('@gh.example', '@gh-erased.example');
    await admin('/api/subscribers/gus@gh-erased.example', { method: 'DELETE' });
    const report = await importFile(csv);
    expect(report).toMatchObject({ imported: 0 });
    expect(await stored('gus@gh-erased.example')).toBeNull();
  });
});

describe('a dry run', () => {
  it('answers what the import will do, and stores and sends nothing', async () => {
    const csv = beehiiv.replaceAll('@bh.example', '@bh-dry.example');
    const preview = await importFile(csv, 'pending', true);
    expect(preview.dryRun).toBe(true);
    expect(await everyone('bh-dry.example')).toEqual({});
    await new Promise((r) => setTimeout(r, 1000));
    expect(await mailsTo('mia@bh-dry.example')).toHaveLength(0);
    expect(await mailsTo('ivy@bh-dry.example')).toHaveLength(0);

    const { dryRun: _, ...expected } = preview;
    expect(await importFile(csv, 'pending')).toEqual(expected);
    await waitForMail('ivy@bh-dry.example', 'Confirm');

    // A preview of the same file again: nothing new, as the import would find.
    expect(await importFile(csv, 'pending', true)).toMatchObject({ imported: 0, lowered: 0, dryRun: true });
  });

  it('previews the lowering a later file would do, without doing it', async () => {
    const moved = (csv: string) => csv.replaceAll('@mc.example', '@mc-dry.example');
    await importFile(moved(mailchimpSubscribed));
    const preview = await importFile(moved(mailchimpUnsubscribed), 'confirmed', true);
    expect(preview).toMatchObject({ imported: 0, lowered: 1, statuses: counts({ unsubscribed: 2 }), dryRun: true });
    expect(await stored('ann.archer@mc-dry.example')).toMatchObject({ status: 'confirmed' });
    expect(await stored('dora@mc-dry.example')).toBeNull();
  });

  it('refuses a dry_run that is neither yes nor no', async () => {
    const response = await admin('/api/subscribers/import?status=confirmed&dry_run=maybe', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'email\nmaybe@dry.example\n' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_dry_run');
    expect(await stored('maybe@dry.example')).toBeNull();
  });
});
