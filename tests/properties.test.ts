// Property-based tests (fast-check) for the logic that decides: signed tokens, email and name
// normalisation, rate-limit keys, and the subscriber CSV (export → import, formula neutralising,
// line numbers, and never throwing on any input).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientKey, parseIpv6 } from '../src/http/client';
import { normalizeEmail, normalizeName } from '../src/subscribers/address';
import { type CsvItem, csvHeader, csvLines, type ExportRow, neutralizeCell, parseSubscriberCsv, restoreCell, SubscriberCsvReader } from '../src/subscribers/csv';
import { CONFIRM_TOKEN_TTL_MS, signConfirmToken, signEmailChangeToken, signLinkToken, signPreferencesToken, signUnsubscribeToken, type TokenPurpose, verifyToken } from '../src/subscribers/tokens';

const SECRET = 'property-test-secret-0123456789-abcdefghijklmnop';
const OTHER_SECRET = 'another-property-secret-9876543210-zyxwvutsrqpo';
const MAX_ID = 999_999_999_999_999; // 15 digits: the longest id a token carries
const id = fc.integer({ min: 0, max: MAX_ID });
const smallId = fc.integer({ min: 1, max: 10_000_000 });
/** Sometime between 2001 and 2100, in ms. */
const time = fc.integer({ min: 1_000_000_000_000, max: 4_100_000_000_000 });
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.cu~%+/= ';

const anyToken = fc.oneof(
  fc.tuple(smallId, time).map(async ([i, t]) => ({ purpose: 'confirm' as const, token: await signConfirmToken(SECRET, i, t), at: t })),
  smallId.map(async (i) => ({ purpose: 'unsubscribe' as const, token: await signUnsubscribeToken(SECRET, i), at: Date.now() })),
  smallId.map(async (i) => ({ purpose: 'preferences' as const, token: await signPreferencesToken(SECRET, i), at: Date.now() })),
  fc.tuple(smallId, time).map(async ([i, t]) => ({ purpose: 'email_change' as const, token: await signEmailChangeToken(SECRET, i, t), at: t })),
);

const PURPOSES = ['confirm', 'unsubscribe', 'preferences', 'email_change', 'link'] as const satisfies TokenPurpose[];
function signFor(purpose: TokenPurpose, subscriberId: number, now: number): Promise<string> {
  switch (purpose) {
    case 'link':
      return signLinkToken(SECRET, subscriberId, now);
    case 'confirm':
      return signConfirmToken(SECRET, subscriberId, now);
    case 'email_change':
      return signEmailChangeToken(SECRET, subscriberId, now);
    case 'unsubscribe':
      return signUnsubscribeToken(SECRET, subscriberId);
    case 'preferences':
      return signPreferencesToken(SECRET, subscriberId);
  }
}

describe('signed tokens', () => {
  it('round-trip any id, for either purpose', async () => {
    await fc.assert(
      fc.asyncProperty(id, time, async (subscriberId, now) => {
        const confirm = await verifyToken(SECRET, 'confirm', await signConfirmToken(SECRET, subscriberId, now), now);
        expect(confirm).toEqual({ ok: true, subscriberId, issuedAt: Math.floor(now / 1000) * 1000 });
        const unsubscribe = await verifyToken(SECRET, 'unsubscribe', await signUnsubscribeToken(SECRET, subscriberId), now);
        expect(unsubscribe).toEqual({ ok: true, subscriberId, issuedAt: null });
        const preferences = await verifyToken(SECRET, 'preferences', await signPreferencesToken(SECRET, subscriberId), now);
        expect(preferences).toEqual({ ok: true, subscriberId, issuedAt: null, generation: 0 });
        // A later generation (after a move) is carried, and signed: it cannot be rewritten to another.
        const generation = (subscriberId % 7) + 1;
        const moved = await signPreferencesToken(SECRET, subscriberId, generation);
        expect(await verifyToken(SECRET, 'preferences', moved, now)).toEqual({ ok: true, subscriberId, issuedAt: null, generation });
        expect((await verifyToken(SECRET, 'preferences', moved.replace(`.${generation}.`, `.${generation + 1}.`), now)).ok).toBe(false);
        const link = await verifyToken(SECRET, 'link', await signLinkToken(SECRET, subscriberId, now), now);
        expect(link).toEqual({ ok: true, subscriberId, issuedAt: Math.floor(now / 1000) * 1000 });
        const emailChange = await verifyToken(SECRET, 'email_change', await signEmailChangeToken(SECRET, subscriberId, now), now);
        expect(emailChange).toEqual({ ok: true, subscriberId, issuedAt: Math.floor(now / 1000) * 1000 });
      }),
    );
  });

  it('fail after any single-character change', async () => {
    await fc.assert(
      fc.asyncProperty(anyToken, fc.nat(), fc.constantFrom(...TOKEN_CHARS), async (made, position, replacement) => {
        const { purpose, token, at } = await made;
        const i = position % token.length;
        fc.pre(token[i] !== replacement);
        const changed = token.slice(0, i) + replacement + token.slice(i + 1);
        expect((await verifyToken(SECRET, purpose, changed, at)).ok, changed).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('fail after any change to the last signature character (its two spare bits included)', async () => {
    // 43 base64url characters carry 258 bits for a 256-bit MAC: `…A` and `…B` decode alike unless
    // only the canonical spelling is accepted.
    await fc.assert(
      fc.asyncProperty(anyToken, fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), async (made, replacement) => {
        const { purpose, token, at } = await made;
        fc.pre(token.at(-1) !== replacement);
        expect((await verifyToken(SECRET, purpose, token.slice(0, -1) + replacement, at)).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('fail when cut short, lengthened, or checked with another secret', async () => {
    await fc.assert(
      fc.asyncProperty(anyToken, fc.nat(), fc.constantFrom(...TOKEN_CHARS), async (made, cut, extra) => {
        const { purpose, token, at } = await made;
        expect((await verifyToken(SECRET, purpose, token.slice(0, cut % token.length), at)).ok).toBe(false);
        expect((await verifyToken(SECRET, purpose, token + extra, at)).ok).toBe(false);
        expect((await verifyToken(OTHER_SECRET, purpose, token, at)).ok).toBe(false);
      }),
    );
  });

  it('never cross purposes, not even relabelled', async () => {
    await fc.assert(
      fc.asyncProperty(smallId, time, async (subscriberId, now) => {
        const confirm = await signConfirmToken(SECRET, subscriberId, now);
        const unsubscribe = await signUnsubscribeToken(SECRET, subscriberId);
        expect(await verifyToken(SECRET, 'unsubscribe', confirm, now)).toEqual({ ok: false, reason: 'purpose' });
        expect(await verifyToken(SECRET, 'confirm', unsubscribe, now)).toEqual({ ok: false, reason: 'purpose' });
        const [, , issued, confirmSignature] = confirm.split('.');
        const unsubscribeSignature = unsubscribe.split('.')[2];
        expect((await verifyToken(SECRET, 'unsubscribe', `u.${subscriberId}.${confirmSignature}`, now)).ok).toBe(false);
        expect((await verifyToken(SECRET, 'confirm', `c.${subscriberId}.${issued}.${unsubscribeSignature}`, now)).ok).toBe(false);
      }),
    );
  });

  it('never cross any two of the five purposes, not even relabelled (the preferences and email-change links included)', async () => {
    await fc.assert(
      fc.asyncProperty(smallId, time, fc.constantFrom(...PURPOSES), fc.constantFrom(...PURPOSES), async (subscriberId, now, signed, used) => {
        fc.pre(signed !== used);
        const token = await signFor(signed, subscriberId, now);
        expect(await verifyToken(SECRET, used, token, now)).toEqual({ ok: false, reason: 'purpose' });
        // The same signature under the other purpose's letter (and shape) never verifies.
        const [, , ...rest] = token.split('.');
        const signature = rest.at(-1);
        const letter = { confirm: 'c', unsubscribe: 'u', preferences: 'p', email_change: 'e', link: 'l' }[used];
        const relabelled = used === 'confirm' || used === 'email_change' || used === 'link' ? `${letter}.${subscriberId}.${Math.floor(now / 1000)}.${signature}` : `${letter}.${subscriberId}.${signature}`;
        expect((await verifyToken(SECRET, used, relabelled, now)).ok, relabelled).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('expire a confirmation exactly 7 days after it was issued, and refuse one from the future beyond a minute', async () => {
    await fc.assert(
      fc.asyncProperty(smallId, time, async (subscriberId, now) => {
        const token = await signConfirmToken(SECRET, subscriberId, now);
        const issuedAt = Math.floor(now / 1000) * 1000;
        const at = (t: number) => verifyToken(SECRET, 'confirm', token, t);
        expect((await at(issuedAt + CONFIRM_TOKEN_TTL_MS)).ok).toBe(true);
        expect(await at(issuedAt + CONFIRM_TOKEN_TTL_MS + 1)).toEqual({ ok: false, reason: 'expired' });
        expect((await at(issuedAt - 60_000)).ok).toBe(true); // clock skew
        expect(await at(issuedAt - 60_001)).toEqual({ ok: false, reason: 'expired' });
        // Unsubscribe and preferences links never expire; email-change links do, like confirmations.
        expect((await verifyToken(SECRET, 'unsubscribe', await signUnsubscribeToken(SECRET, subscriberId), now + 10 * 365 * 86_400_000)).ok).toBe(true);
        expect((await verifyToken(SECRET, 'preferences', await signPreferencesToken(SECRET, subscriberId), now + 10 * 365 * 86_400_000)).ok).toBe(true);
        const change = await signEmailChangeToken(SECRET, subscriberId, now);
        expect((await verifyToken(SECRET, 'email_change', change, issuedAt + CONFIRM_TOKEN_TTL_MS)).ok).toBe(true);
        expect(await verifyToken(SECRET, 'email_change', change, issuedAt + CONFIRM_TOKEN_TTL_MS + 1)).toEqual({ ok: false, reason: 'expired' });
      }),
    );
  });

  it('never throw, and never verify, on anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^[cupe]\.[0-9]{1,20}(\.[0-9]{1,12})?\.[A-Za-z0-9_-]{40,46}$/)), fc.constantFrom(...PURPOSES), async (token, purpose) => {
        expect((await verifyToken(SECRET, purpose, token, Date.now())).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

/** What fast-check's RFC addresses look like, kept to what the contract allows. */
const address = fc.emailAddress().filter((e) => e.length <= 254);
const spaces = fc.constantFrom('', ' ', '\t', '  \n', '\u00a0');
const CONTROL = ['\r', '\n', '\r\n', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029'];

describe('email normalisation', () => {
  it('never throws, and every accepted address is within the limits, lower-case ASCII, and normalised already', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.string({ unit: 'binary' }), address), (input) => {
        const result = normalizeEmail(input);
        if (!result.ok) {
          expect(result.code).toBe('invalid_email');
          expect(result.message.length).toBeGreaterThan(10);
          return;
        }
        const value = result.value;
        expect(value.length).toBeLessThanOrEqual(254);
        expect(value.split('@')).toHaveLength(2);
        const [local, domain] = value.split('@');
        expect(local.length).toBeGreaterThan(0);
        expect(local.length).toBeLessThanOrEqual(64);
        expect(domain).toContain('.');
        expect(value).toMatch(/^[\x21-\x7e]+$/);
        expect(value).toBe(value.toLowerCase());
        expect(normalizeEmail(value)).toEqual({ ok: true, value });
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts every RFC dot-atom address, whatever its case and surrounding whitespace, as one record', () => {
    fc.assert(
      fc.property(address, spaces, spaces, fc.boolean(), (email, before, after, upper) => {
        const plain = normalizeEmail(email);
        expect(plain.ok, email).toBe(true);
        const variant = before + (upper ? email.toUpperCase() : email) + after;
        expect(normalizeEmail(variant)).toEqual(plain);
      }),
      { numRuns: 500 },
    );
  });

  it('accepts plus addresses', () => {
    fc.assert(
      fc.property(address, fc.stringMatching(/^[a-z0-9._-]{1,20}$/), (email, tag) => {
        const [local, domain] = email.split('@');
        fc.pre(local.length + 1 + tag.length <= 64 && !tag.startsWith('.') && !tag.endsWith('.') && !tag.includes('..') && !local.endsWith('.'));
        const plus = `${local}+${tag}@${domain}`;
        fc.pre(plus.length <= 254);
        expect(normalizeEmail(plus)).toEqual({ ok: true, value: plus.toLowerCase() });
      }),
    );
  });

  it('accepts international domain names, stored as punycode, one record whichever way they are written', () => {
    const unicodeLabel = fc.string({ unit: fc.constantFrom(...'abcdeäöüéñçøåœłžšяюжбώλ中文日本한국'), minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,20}$/), unicodeLabel, fc.constantFrom('example', 'de', 'com', 'org'), (local, label, tld) => {
        const result = normalizeEmail(`${local}@${label}.${tld}`);
        expect(result.ok, `${local}@${label}.${tld}`).toBe(true);
        if (!result.ok) return;
        expect(result.value).toMatch(/^[\x21-\x7e]+$/);
        if (/[^a-z0-9]/.test(label)) expect(result.value).toContain('xn--');
        expect(normalizeEmail(result.value)).toEqual(result); // the ASCII form is the same person
      }),
    );
  });

  it('refuses an address with a control character or a space anywhere inside it', () => {
    fc.assert(
      fc.property(address, fc.nat(), fc.constantFrom(...CONTROL, ' ', '\t', '<', '>', '"', ','), (email, position, bad) => {
        const i = 1 + (position % (email.length - 1));
        expect(normalizeEmail(email.slice(0, i) + bad + email.slice(i)).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('name normalisation', () => {
  it('never throws; an accepted name is trimmed, one line, at most 200 characters, well-formed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 250 })), (input) => {
        const result = normalizeName(input);
        if (!result.ok) {
          expect(result.code).toBe('invalid_name');
          return;
        }
        if (result.value === null) return;
        expect(result.value).toBe(result.value.trim());
        expect([...result.value].length).toBeLessThanOrEqual(200);
        expect(result.value.isWellFormed()).toBe(true);
        expect(result.value).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses any name with CR, LF or another control character inside', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 2, maxLength: 100 }), fc.nat(), fc.constantFrom(...CONTROL, '\t', '\u202e'), (name, position, bad) => {
        const trimmed = name.replace(/[\u0000-\u001f\u007f]/g, 'x');
        fc.pre(trimmed.trim().length >= 2);
        const core = trimmed.trim();
        const i = 1 + (position % (core.length - 1));
        expect(normalizeName(core.slice(0, i) + bad + core.slice(i)).ok).toBe(false);
      }),
    );
  });

  it('keeps markup and SQL in a name as text (escaping is the templates\' job, refusing it is not)', () => {
    fc.assert(
      fc.property(fc.constantFrom('<script>alert(1)</script>', "' OR 1=1 --", '"; DROP TABLE subscribers; --', '=HYPERLINK("x")', '{{7*7}}'), (name) => {
        expect(normalizeName(name)).toEqual({ ok: true, value: name });
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------

const hextets = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
const v6 = (h: number[]) => h.map((x) => x.toString(16)).join(':');

describe('rate-limit keys', () => {
  it('never throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.constant(undefined)), (ip) => {
        expect(clientKey(ip)).toMatch(/^(ip4|ip6|other):|^unknown$/);
      }),
    );
  });

  it('parse every IPv6 spelling to its eight groups', () => {
    fc.assert(
      fc.property(hextets, (h) => {
        const compressed = new URL(`http://[${v6(h)}]/`).hostname; // the URL parser's canonical, ::-compressed form
        expect(parseIpv6(compressed)).toEqual(h);
        expect(parseIpv6(v6(h).toUpperCase())).toEqual(h);
      }),
    );
  });

  it('give one key to a whole IPv6 /64 and different keys to different /64s', () => {
    fc.assert(
      fc.property(hextets, hextets, (a, b) => {
        fc.pre(!(a.slice(0, 5).every((x) => x === 0) && a[5] === 0xffff)); // not IPv4-mapped
        const sameNetwork = [...a.slice(0, 4), ...b.slice(4)];
        expect(clientKey(v6(sameNetwork))).toBe(clientKey(v6(a)));
        if (a.slice(0, 4).join() !== b.slice(0, 4).join()) {
          fc.pre(!(b.slice(0, 5).every((x) => x === 0) && b[5] === 0xffff));
          expect(clientKey(v6(b))).not.toBe(clientKey(v6(a)));
        }
      }),
    );
  });

  it('give each IPv4 address its own key, the same as its IPv4-mapped IPv6 form', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), (a, b) => {
        expect(clientKey(`::ffff:${a}`)).toBe(clientKey(a));
        if (a !== b) expect(clientKey(a)).not.toBe(clientKey(b));
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------

const STATUSES = ['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained'];
/**
 * Text a person could have typed. Not U+FFFD: the import takes that character for the trace of bytes
 * that were not valid text, and reports its row (see csv.ts).
 */
const typed = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength }).map((s) => s.replaceAll('\uFFFD', '?'));
const exportRow: fc.Arbitrary<ExportRow> = fc.record({
  email: address,
  name: fc.option(typed(60), { nil: null }),
  status: fc.constantFrom(...STATUSES),
  createdAt: time,
  confirmedAt: fc.option(time, { nil: null }),
});
/** Cells that a spreadsheet or a naive parser would trip on. */
const trickyCell = fc.oneof(
  typed(40),
  fc.constantFrom('=1+1', '+1', '-1', '@SUM(A1)', '\t=x', "'", "''=", '"', '""', 'a,b', 'line\nbreak', 'cr\rlf\r\n', '﻿bom', '=HYPERLINK("http://evil.example")'),
);

describe('the subscriber CSV', () => {
  it('neutralising a cell is undone exactly by restoring it, and leaves no formula at the start', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), trickyCell), (cell) => {
        const safe = neutralizeCell(cell);
        expect(restoreCell(safe)).toBe(cell);
        expect(safe).not.toMatch(/^[=+\-@\t\r]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('imports what it exports: every row, its email, name and status, at the line it starts on', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ row: exportRow, name: fc.option(trickyCell, { nil: null }) }), { maxLength: 30 }), (items) => {
        const rows = items.map(({ row, name }) => ({ ...row, name: name ?? row.name }));
        // A row whose every cell is blank is a blank line to the importer; an email is never blank.
        const csv = csvHeader() + csvLines(rows);
        const parsed = parseSubscriberCsv(csv);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.broken).toEqual([]);
        expect(parsed.records.map((r) => [r.row.email, r.row.name, r.row.status])).toEqual(rows.map((r) => [r.email, r.name ?? '', r.status]));
        // Line numbers: the header is line 1; each record starts after the line breaks inside earlier ones
        // (counted as LFs: the export ends lines with CRLF; a lone CR inside a quoted name does not count).
        let line = 2;
        parsed.records.forEach((record, i) => {
          expect(record.line).toBe(line);
          line += 1 + (csvLines([rows[i]]).slice(0, -2).match(/\n/g)?.length ?? 0);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('finds the columns by header in any order and case, with any line ending, numbering lines from the header', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ email: fc.stringMatching(/^[a-z0-9.+-]{1,20}@[a-z]{1,10}\.example$/), name: fc.stringMatching(/^[A-Za-z ]{0,20}$/) }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.constantFrom('email', 'EMAIL', 'Email', 'e-mail', 'Email Address'),
        (people, eol, nameFirst, emailHeader) => {
          const header = nameFirst ? `Name,extra,${emailHeader}` : `${emailHeader},extra,name`;
          const lines = people.map((p) => (nameFirst ? `${p.name},x,${p.email}` : `${p.email},x,${p.name}`));
          const parsed = parseSubscriberCsv([header, ...lines].join(eol) + eol);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.records.map((r) => ({ line: r.line, email: r.row[emailHeader.toLowerCase()], name: r.row.name }))).toEqual(people.map((p, i) => ({ line: i + 2, email: p.email, name: p.name })));
        },
      ),
    );
  });

  it('never throws on any input, and answers either records with lines inside the file or a clear error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.array(fc.oneof(trickyCell, fc.constantFrom('email', ',', '"', '\n', '\r')), { maxLength: 40 }).map((parts) => parts.join(''))), (text) => {
        const parsed = parseSubscriberCsv(text);
        if (!parsed.ok) {
          expect(['empty_csv', 'missing_email_column', 'invalid_encoding']).toContain(parsed.code);
          expect(parsed.message.length).toBeGreaterThan(10);
          return;
        }
        const lineCount = (text.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
        for (const { line } of [...parsed.records, ...parsed.broken]) {
          expect(line).toBeGreaterThanOrEqual(2);
          expect(line).toBeLessThanOrEqual(lineCount);
        }
      }),
      { numRuns: 500 },
    );
  });
  it('reads a file the same whatever pieces it arrives in: records, problems, line numbers, failures', () => {
    /** Every item the reader gives for `text` pushed in the pieces `cuts` makes, or its failure. */
    const read = (text: string, cuts: number[], sampleChars: number): (CsvItem | { failure: string })[] => {
      const reader = new SubscriberCsvReader(sampleChars);
      const points = [...new Set([0, ...cuts.map((c) => c % (text.length + 1)), text.length])].sort((a, b) => a - b);
      const out: (CsvItem | { failure: string })[] = [];
      const steps = points.slice(1).map((point, i) => reader.push(text.slice(points[i], point)));
      for (const step of [...steps, reader.end()]) {
        if (!step.ok) return [...out, { failure: step.code }];
        out.push(...step.items);
      }
      return out;
    };
    const exported = fc.array(fc.record({ row: exportRow, name: fc.option(trickyCell, { nil: null }) }), { maxLength: 12 }).map((items) => csvHeader() + csvLines(items.map(({ row, name }) => ({ ...row, name: name ?? row.name }))));
    const scrambled = fc.array(fc.oneof(trickyCell, fc.constantFrom('email', 'name', ',', ';', '"', '\n', '\r', '\r\n', 'a@b.example', '\uFFFD')), { maxLength: 60 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(exported, scrambled), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 1, max: 120 }), (text, cuts, sampleChars) => {
        expect(read(text, cuts, sampleChars)).toEqual(read(text, [], sampleChars));
      }),
      { numRuns: 500 },
    );
  });
});
