// The clock that starts sends: the weekly slot (SEND_SCHEDULE in TIMEZONE, daylight-saving time
// both ways), scheduled articles (once, at the first tick at or after their time, however often the
// cron fires), the crons of wrangler.toml, and `npm run send:weekly`'s trigger.
import { env } from 'cloudflare:test';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, readConfig } from '../src/config';
import { getDb } from '../src/db/client';
import { lastSlotIn, nextSlot, parseSendSchedule, type WeeklySlot } from '../src/issues/slot';
import { saveStoredArticle } from '../src/issues/stored-articles';
import { setSchedule } from '../src/issues/schedules';
import { runTick } from '../src/issues/tick';
import { scheduled, TRIGGERS } from '../src/scheduled';
import { CRONS, MANUAL_TRIGGERS } from '../src/triggers';
import { importCsv } from './support/admin';

const db = getDb(env.DB);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const at = (text: string) => Date.parse(text);
const MINUTE = 60_000;

describe('SEND_SCHEDULE and TIMEZONE', () => {
  it('read a day (or days) and a 24-hour time; anything else is a configuration error that names the fix', () => {
    expect(parseSendSchedule('thursday 09:00')).toEqual({ ok: true, days: [4], hour: 9, minute: 0 });
    expect(parseSendSchedule(' Mon, thu 7:30 ')).toEqual({ ok: true, days: [1, 4], hour: 7, minute: 30 });
    expect(parseSendSchedule('thursday 25:00')).toMatchObject({ ok: false });
    expect(parseSendSchedule('0 9 * * 4')).toMatchObject({ ok: false });
    expect(readConfig({ ...env, SEND_SCHEDULE: 'friday 18:15', TIMEZONE: 'America/New_York' }).weeklySlot).toEqual({ days: [5], hour: 18, minute: 15, timeZone: 'America/New_York' });
    expect(readConfig({ ...env, SEND_SCHEDULE: undefined, TIMEZONE: undefined }).weeklySlot).toEqual({ days: [4], hour: 9, minute: 0, timeZone: 'UTC' });
    expect(() => readConfig({ ...env, TIMEZONE: 'Mars/Olympus' })).toThrow(ConfigError);
    expect(() => readConfig({ ...env, TIMEZONE: 'Mars/Olympus' })).toThrow(/IANA time zone/);
    expect(() => readConfig({ ...env, SEND_SCHEDULE: 'someday 09:00' })).toThrow(/SEND_SCHEDULE/);
  });

  it('keep 09:00 in Berlin at 09:00 there when clocks fall back and spring forward', () => {
    const berlin: WeeklySlot = { days: [4], hour: 9, minute: 0, timeZone: 'Europe/Berlin' };
    // Summer time (UTC+2) ends on Sunday 25 October 2026.
    expect(iso(nextSlot(berlin, at('2026-10-19T00:00:00Z')))).toBe('2026-10-22T07:00:00.000Z');
    expect(iso(nextSlot(berlin, at('2026-10-22T07:00:00Z')))).toBe('2026-10-29T08:00:00.000Z');
    // It starts again on Sunday 28 March 2027.
    expect(iso(nextSlot(berlin, at('2027-03-22T00:00:00Z')))).toBe('2027-03-25T08:00:00.000Z');
    expect(iso(nextSlot(berlin, at('2027-03-25T08:00:00Z')))).toBe('2027-04-01T07:00:00.000Z');
  });

  it('a time that does not exist goes right after the gap; one that happens twice goes once', () => {
    const springGap: WeeklySlot = { days: [0], hour: 2, minute: 30, timeZone: 'America/New_York' };
    expect(iso(nextSlot(springGap, at('2027-03-13T00:00:00Z')))).toBe('2027-03-14T07:00:00.000Z'); // 03:00 EDT
    const twice: WeeklySlot = { days: [0], hour: 1, minute: 30, timeZone: 'America/New_York' };
    const first = nextSlot(twice, at('2026-10-31T12:00:00Z'));
    expect(iso(first)).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT, the first of the two
    expect(iso(nextSlot(twice, first))).toBe('2026-11-08T06:30:00.000Z'); // a week later, in EST
    expect(lastSlotIn(twice, at('2026-11-01T04:00:00Z'), at('2026-11-01T08:00:00Z'))).toBe(first);
  });
});

async function reset() {
  await env.DB.batch(['deliveries', 'send_chunks', 'sends', 'schedules', 'articles', 'scheduler'].map((t) => env.DB.prepare(`DELETE FROM ${t}`)));
}

const sentSlugs = async () => (await env.DB.prepare('SELECT slug FROM sends ORDER BY id').all<{ slug: string }>()).results.map((r) => r.slug);

describe('the tick', () => {
  beforeAll(async () => {
    await importCsv('email\ntick-reader-1@scheduler.example\ntick-reader-2@scheduler.example\n', 'confirmed');
  });
  beforeEach(reset);

  const article = (slug: string, date: string) => ({ slug, title: `Title ${slug}`, date, summary: 'Summary', markdown: 'Body' });

  it('sends a scheduled article once, at the first tick at or after its time, however often the cron fires', async () => {
    const config = { ...readConfig(env), weeklySlot: { days: [4], hour: 9, minute: 0, timeZone: 'UTC' } };
    const sendAt = at('2027-06-01T14:02:00Z'); // a Tuesday: no weekly slot near
    await saveStoredArticle(db, article('scheduled-one', '2027-06-01'), { sendAt });
    expect((await runTick(db, env, config, sendAt - 2 * MINUTE)).scheduled).toEqual([]);
    expect((await runTick(db, env, config, sendAt - 1)).scheduled).toEqual([]);
    // The tick at 14:05 (the one after 14:02) sends it; a repeated, a concurrent and later ticks do not.
    const [fired, again, concurrent] = await Promise.all([
      runTick(db, env, config, sendAt + 3 * MINUTE),
      runTick(db, env, config, sendAt + 3 * MINUTE),
      runTick(db, env, config, sendAt + 3 * MINUTE + 1),
    ]);
    const started = [...fired.scheduled, ...again.scheduled, ...concurrent.scheduled].filter((s) => s?.started);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ slug: 'scheduled-one' });
    for (let t = sendAt + 5 * MINUTE; t < sendAt + 60 * MINUTE; t += MINUTE) await runTick(db, env, config, t);
    expect(await sentSlugs()).toEqual(['scheduled-one']);
  });

  it('runs the weekly slot once, at the tick that passes it in TIMEZONE, whatever fires how often', async () => {
    const slot: WeeklySlot = { days: [4], hour: 9, minute: 0, timeZone: 'America/New_York' };
    const config = { ...readConfig(env), weeklySlot: slot };
    // Thursday 11 November 2027, 09:00 in New York (EST since 7 November, UTC-5) is 14:00Z.
    const slotAt = at('2027-11-11T14:00:00Z');
    await saveStoredArticle(db, article('weekly-one', '2000-01-01'));
    await saveStoredArticle(db, article('weekly-two', '2000-01-02'));
    const slotsRun: number[] = [];
    // Ticks every 5 minutes, some twice, from 11:00Z to 16:00Z: the slot runs once, at 14:00Z.
    for (let t = slotAt - 3 * 60 * MINUTE; t <= slotAt + 2 * 60 * MINUTE; t += 5 * MINUTE) {
      for (const result of await Promise.all([runTick(db, env, config, t), runTick(db, env, config, t)])) if (result.slot !== null) slotsRun.push(t);
    }
    expect(slotsRun.map(iso)).toEqual(['2027-11-11T14:00:00.000Z']);
    // The oldest ready article went, and only it.
    expect(await sentSlugs()).toEqual(['weekly-one']);
  });

  it('a late tick (the Worker was down) still runs the slot it missed, once', async () => {
    const config = { ...readConfig(env), weeklySlot: { days: [4], hour: 9, minute: 0, timeZone: 'UTC' } };
    await runTick(db, env, config, at('2027-01-07T08:50:00Z'));
    await saveStoredArticle(db, article('late-one', '2027-01-01'));
    const late = await runTick(db, env, config, at('2027-01-07T11:20:00Z'));
    expect(iso(late.slot)).toBe('2027-01-07T09:00:00.000Z');
    expect((await runTick(db, env, config, at('2027-01-07T11:25:00Z'))).slot).toBeNull();
  });

  it('the weekly slot skips an article scheduled for later, and a scheduled article goes before its date if so scheduled', async () => {
    const config = { ...readConfig(env), weeklySlot: { days: [4], hour: 9, minute: 0, timeZone: 'UTC' } };
    const thursday = at('2027-02-04T09:00:00Z');
    await saveStoredArticle(db, article('later-one', '2000-01-01'), { sendAt: thursday + 24 * 60 * MINUTE });
    await saveStoredArticle(db, article('now-one', '2000-01-02'));
    await runTick(db, env, config, thursday - 5 * MINUTE);
    const run = await runTick(db, env, config, thursday);
    expect(run.weekly).toMatchObject({ slug: 'now-one', started: true });
    const next = await runTick(db, env, config, thursday + 24 * 60 * MINUTE);
    expect(next.scheduled).toMatchObject([{ slug: 'later-one', started: true }]);
  });
});

describe('the crons of wrangler.toml', () => {
  let errors: ReturnType<typeof vi.spyOn>;
  beforeEach(async () => {
    await reset();
    errors = vi.spyOn(console, 'error');
  });
  afterEach(() => errors.mockRestore());

  it('are every one handled by the Worker (and there is one frequent tick)', async () => {
    const crons = JSON.parse(env.WRANGLER_CRONS) as string[];
    expect(crons).toEqual([CRONS.tick]);
    for (const cron of crons) {
      expect(TRIGGERS[cron]).toBeTypeOf('function');
      await scheduled({ cron }, env);
    }
    expect(errors.mock.calls.flat().join(' ')).not.toMatch(/unknown cron/);
    expect((await env.DB.prepare('SELECT count(*) AS n FROM scheduler').first<{ n: number }>())!.n).toBe(1);
  });

  it('an unknown cron is logged and still runs the tick, so the week is not lost', async () => {
    await scheduled({ cron: '0 9 * * 4' }, env);
    expect(errors.mock.calls.flat().join(' ')).toMatch(/unknown cron "0 9 \* \* 4"/);
    // The tick ran: it started the scheduler's clock.
    expect((await env.DB.prepare('SELECT count(*) AS n FROM scheduler').first<{ n: number }>())!.n).toBe(1);
  });

  it('npm run send:weekly (weekly-now): the oldest ready, never-sent article not scheduled for later goes at once', async () => {
    await importCsv('email\nweekly-now@scheduler.example\n', 'confirmed');
    const now = Date.now();
    await saveStoredArticle(db, { slug: 'waits-for-its-time', title: 'Later', date: '2000-01-01', summary: 's', markdown: 'b' }, { sendAt: now + 86_400_000 });
    await saveStoredArticle(db, { slug: 'goes-now', title: 'Now', date: '2000-01-02', summary: 's', markdown: 'b' });
    await scheduled({ cron: MANUAL_TRIGGERS.weeklyNow }, env);
    expect(await sentSlugs()).toEqual(['goes-now']);
    await setSchedule(db, 'waits-for-its-time', now + 1000, now);
  });
});

describe('times the editor types, on the newsletter\'s clock', () => {
  it('read a datetime-local in TIMEZONE, DST both ways, and write it back', async () => {
    const { zonedTimeToInstant, instantToZonedTime } = await import('../src/issues/slot');
    expect(iso(zonedTimeToInstant('2026-12-10T09:00', 'Europe/Berlin'))).toBe('2026-12-10T08:00:00.000Z');
    expect(iso(zonedTimeToInstant('2026-07-10T09:00', 'Europe/Berlin'))).toBe('2026-07-10T07:00:00.000Z');
    expect(iso(zonedTimeToInstant('2027-03-14T02:30', 'America/New_York'))).toBe('2027-03-14T07:30:00.000Z'); // in the gap: 03:30 EDT
    expect(iso(zonedTimeToInstant('2026-11-01T01:30', 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z'); // twice: the first
    expect(zonedTimeToInstant('2026-02-30T09:00', 'UTC')).toBeNull();
    expect(zonedTimeToInstant('tomorrow', 'UTC')).toBeNull();
    expect(instantToZonedTime(at('2026-12-10T08:00:00Z'), 'Europe/Berlin')).toBe('2026-12-10T09:00');
  });
});
