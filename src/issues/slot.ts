// The weekly slot: when the next ready article goes unless the writer scheduled it. Configured as
// SEND_SCHEDULE (`thursday 09:00`, or several days: `monday,thursday 07:30`) in TIMEZONE (IANA,
// `Europe/Berlin`): 09:00 there stays 09:00 there across daylight-saving changes, so in UTC it moves
// by an hour twice a year. A wall-clock time that does not exist on the day clocks spring forward
// (02:30 in New York) goes at the first moment after the gap; one that happens twice when they fall
// back goes at its first occurrence, once. croner does the calendar arithmetic in the zone.
// Plain functions of data: config.ts validates the settings with parseSendSchedule, the tick asks
// for the slots between two moments.
import { Cron } from 'croner';

export interface WeeklySlot {
  /** 0 (Sunday) to 6 (Saturday), sorted, no repeats. */
  days: number[];
  hour: number;
  minute: number;
  /** IANA time zone name. */
  timeZone: string;
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export const DEFAULT_SEND_SCHEDULE = 'thursday 09:00';
export const DEFAULT_TIMEZONE = 'UTC';

/** `thursday 09:00` (day names in full or in three letters, any case; several with commas). */
export function parseSendSchedule(text: string): { ok: true; days: number[]; hour: number; minute: number } | { ok: false; message: string } {
  const m = /^\s*([a-z]+(?:\s*,\s*[a-z]+)*)\s+(\d{1,2}):(\d{2})\s*$/i.exec(text);
  const expected = `like "${DEFAULT_SEND_SCHEDULE}" (a day of the week, or several with commas, then a 24-hour time)`;
  if (!m) return { ok: false, message: `SEND_SCHEDULE must look ${expected}, got "${text}".` };
  const days: number[] = [];
  for (const name of m[1]!.split(',').map((d) => d.trim().toLowerCase())) {
    const day = DAYS.findIndex((d) => d === name || d.slice(0, 3) === name);
    if (day < 0) return { ok: false, message: `SEND_SCHEDULE: "${name}" is not a day of the week; write it ${expected}.` };
    if (!days.includes(day)) days.push(day);
  }
  const hour = Number(m[2]);
  const minute = Number(m[3]);
  if (hour > 23 || minute > 59) return { ok: false, message: `SEND_SCHEDULE: ${m[2]}:${m[3]} is not a time of day (00:00 to 23:59).` };
  return { ok: true, days: days.sort((a, b) => a - b), hour, minute };
}

/** Whether the runtime knows this IANA zone (`Europe/Berlin`, `America/New_York`, `UTC`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const crons = new Map<string, Cron>();

function cronOf(slot: WeeklySlot): Cron {
  const pattern = `${slot.minute} ${slot.hour} * * ${slot.days.join(',')}`;
  const key = `${pattern} ${slot.timeZone}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(pattern, { timezone: slot.timeZone, paused: true });
    crons.set(key, cron);
  }
  return cron;
}

/** The first slot strictly after `after` (ms). */
export function nextSlot(slot: WeeklySlot, after: number): number {
  return cronOf(slot).nextRun(new Date(after))!.getTime();
}

/** The latest slot in (from, to], or null: what a tick that owns that stretch of time must run. */
export function lastSlotIn(slot: WeeklySlot, from: number, to: number): number | null {
  let found: number | null = null;
  for (let at = nextSlot(slot, from); at <= to; at = nextSlot(slot, at)) found = at;
  return found;
}

/** "Thursday 09:00 (Europe/Berlin)": the slot as the dashboard says it. */
export function describeSlot(slot: WeeklySlot): string {
  const day = (d: number) => DAYS[d]![0]!.toUpperCase() + DAYS[d]!.slice(1);
  const time = `${String(slot.hour).padStart(2, '0')}:${String(slot.minute).padStart(2, '0')}`;
  return `${slot.days.map(day).join(', ')} ${time} (${slot.timeZone})`;
}

/** The offset of `timeZone` from UTC at the moment `at` (ms; positive east of Greenwich). */
function offsetAt(timeZone: string, at: number): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - Math.floor(at / 1000) * 1000;
}

/**
 * `2026-12-10T09:00` on the wall clocks of `timeZone` → ms. A time skipped when clocks spring
 * forward is moved forward by the gap (02:30 → 03:30, as JavaScript's Temporal does by default), one
 * that happens twice is its first occurrence. Null for text that is not such a time.
 */
export function zonedTimeToInstant(local: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local.trim());
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (Number.isNaN(wall) || new Date(wall).toISOString().slice(0, 16) !== local.trim()) return null;
  // The two offsets around the moment: the earlier reading first (the first of a repeated hour).
  const candidates = [wall - offsetAt(timeZone, wall - 86_400_000 / 2), wall - offsetAt(timeZone, wall + 86_400_000 / 2)].sort((a, b) => a - b);
  for (const at of candidates) if (at + offsetAt(timeZone, at) === wall) return at;
  // In a gap: the reading with the offset from before it, which lands after the gap.
  return Math.min(...candidates.filter((at) => at + offsetAt(timeZone, at) > wall));
}

/** ms → `2026-12-10T09:00` on the wall clocks of `timeZone` (for a datetime-local field). */
export function instantToZonedTime(at: number, timeZone: string): string {
  return new Date(at + offsetAt(timeZone, at)).toISOString().slice(0, 16);
}

/** ms → "Thursday 10 December 2026, 09:00 (Europe/Berlin)". */
export function describeInstant(at: number, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(at));
  return `${text} (${timeZone})`;
}
