// The operator's subscriber API through the real Worker and D1: auth, paging, CSV export and import,
// suppression, erasure.
import { createExecutionContext, createMessageBatch, env } from 'cloudflare:test';
import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import type { Article } from '../src/issues/article';
import { readConfig } from '../src/config';
import { runMaintenance } from '../src/issues/maintenance';
import { getDb } from '../src/db/client';
import type { ConfirmationMessage, QueueMessage } from '../src/messages';
import { handleQueue } from '../src/queue';
import { neutralizeCell, parseSubscriberCsv, restoreCell } from '../src/subscribers/csv';
import { IMPORT_BODY_LIMIT, ImportPlanner, importSubscribers, INVALID_LISTED } from '../src/subscribers/import';
import { MAX_RECORD_CHARS } from '../src/subscribers/csv';
import { signUp } from '../src/subscribers/lifecycle';
import { sendOwedConfirmations } from '../src/subscribers/owed-confirmations';
import { emailHash } from '../src/subscribers/erase';
import { ADMIN_TOKEN, admin, adminJson, callWithEnv, importCsv } from './support/admin';
import { call, linkIn, mailsTo, postJson, subscribeAndConfirm, subscriberStatus, waitFor, waitForMail, weekly } from './support/helpers';

type Page = { subscribers: { email: string; name: string | null; status: string; createdAt: string; confirmedAt: string | null }[]; nextCursor: string | null };

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(5);
  return { status: response.status, code: body.error.code };
}

async function count(sql: string, ...params: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql).bind(...params).first<{ n: number }>())!.n;
}

/** Every page of the list, following nextCursor. */
async function allPages(query: string): Promise<Page['subscribers'][]> {
  const pages: Page['subscribers'][] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await adminJson(`/api/subscribers?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    pages.push(page.subscribers);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 1000);
  return pages;
}

async function exportText(query = ''): Promise<string> {
  const response = await admin(`/api/subscribers/export${query}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
  return response.text();
}

function parseCsv(text: string): Record<string, string>[] {
  return Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;
}

/** A body that arrives in the given pieces, with no length declared (as a chunked upload). */
function streamOf(pieces: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === pieces.length) return controller.close();
      const piece = pieces[next++];
      controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
    },
  });
}

function postStream(body: ReadableStream<Uint8Array>, status = 'confirmed'): Promise<Response> {
  return admin(`/api/subscribers/import?status=${status}`, { method: 'POST', body, headers: { 'content-type': 'text/csv' } });
}

/** SEND_QUEUE stand-in that keeps what is sent; `then` runs after (to forward, or to fail). */
function capturingQueue(then?: (bodies: QueueMessage[]) => Promise<void>) {
  const sent: QueueMessage[] = [];
  const queue = {
    async sendBatch(messages: { body: QueueMessage }[]) {
      const bodies = messages.map((m) => m.body);
      sent.push(...bodies);
      await then?.(bodies);
    },
    async send(body: QueueMessage) {
      sent.push(body);
      await then?.([body]);
    },
  } as unknown as Queue<QueueMessage>;
  return { sent, queue };
}

/** Hands messages to the real consumer and waits until it has handled them all. */
async function consume(bodies: QueueMessage[]): Promise<void> {
  const batch = createMessageBatch<QueueMessage>('newsletter-send', bodies.map((body, i) => ({ id: `m-${i}`, timestamp: new Date(), attempts: 1, body })));
  await handleQueue(batch, env);
}

async function confirmationsTo(address: string): Promise<number> {
  return (await mailsTo(address)).filter((m) => m.subject.includes('Confirm')).length;
}

async function owedMarkers(domain: string): Promise<{ email: string; sent: number | null; owed: number | null }[]> {
  const { results } = await env.DB.prepare(`SELECT email, confirmation_sent_at AS sent, confirmation_owed_at AS owed FROM subscribers WHERE email LIKE ?1 ORDER BY id`)
    .bind(`%@${domain}`)
    .all<{ email: string; sent: number | null; owed: number | null }>();
  return results;
}

describe('the CSV functions', () => {
  it('neutralising a cell and restoring it gives the cell back, and no neutralised cell starts a formula', () => {
    const cell = fc.oneof(fc.string(), fc.string().map((s) => `'${s}`), fc.constantFrom('=', '+', '-', '@', "'", "''=", '\t', '\r').chain((p) => fc.string().map((s) => p + s)));
    fc.assert(
      fc.property(cell, (value) => {
        expect(restoreCell(neutralizeCell(value))).toBe(value);
        expect(neutralizeCell(value)).not.toMatch(/^[=+\-@\t\r]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back any rows written the way the export writes them, with their line numbers', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r\n', '=', "'", '-', 'é', '漢') });
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { maxLength: 20 }), (rows) => {
        // The "x" keeps every record non-blank (blank records are skipped like empty lines).
        const data = rows.map(([email, name]) => [`x${email}`, name]);
        const lines = data.map((row) => Papa.unparse([row.map(neutralizeCell)], { quotes: true, newline: '\r\n' }));
        const csv = ['"email","name"', ...lines].join('\r\n');
        const parsed = parseSubscriberCsv(csv);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.broken).toEqual([]);
        expect(parsed.records.map((r) => [r.row.email, r.row.name])).toEqual(data);
        // Each record's line is the line of the file it starts on.
        let offset = '"email","name"\r\n'.length;
        for (const [i, record] of parsed.records.entries()) {
          expect(record.line).toBe(1 + (csv.slice(0, offset).match(/\n/g) ?? []).length);
          offset += lines[i].length + 2;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on any input, however broken, or however it arrives in pieces', () => {
    const unit = fc.constantFrom('email', 'name', ',', '"', '\n', '\r', '\uFEFF', 'a@b.example', '=', ' ', '\u0000', '\uD800', '\uFFFD');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 200 }), fc.array(fc.nat(200), { maxLength: 6 }), (input, cuts) => {
        const planner = new ImportPlanner('confirmed');
        const points = [0, ...cuts.map((c) => c % (input.length + 1)).sort((a, b) => a - b), input.length];
        for (let i = 1; i < points.length; i++) {
          const step = planner.push(input.slice(points[i - 1], points[i]));
          if (step.ok) for (const c of step.candidates) expect(c.email).toMatch(/@/);
        }
        const last = planner.end();
        if (last.ok) for (const c of last.candidates) expect(c.email).toMatch(/@/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('admin auth', () => {
  const routes: [string, string][] = [
    ['GET', '/api/subscribers'],
    ['GET', '/api/subscribers/export'],
    ['POST', '/api/subscribers/import?status=confirmed'],
    ['DELETE', '/api/subscribers/victim%40example.com'],
    ['GET', '/api/issues'],
    ['POST', '/api/issues/gut-health-and-skin-clarity/send'],
    ['POST', '/api/issues/gut-health-and-skin-clarity/test'],
    ['GET', '/api/issues/gut-health-and-skin-clarity/stats'],
    ['GET', '/api/no-such-route'],
  ];

  it('refuses every /api route without the right bearer token, in the contract shape, and changes nothing', async () => {
    await importCsv('email\nvictim@example.com\n', 'confirmed');
    const wrong = [
      undefined,
      'Bearer wrong-token',
      `Bearer ${ADMIN_TOKEN}x`,
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
      `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`,
      ADMIN_TOKEN,
      'Bearer',
      `Bearer ${ADMIN_TOKEN} extra`,
    ];
    for (const [method, path] of routes) {
      for (const authorization of wrong) {
        const response = await call(path, {
          method,
          headers: { ...(authorization === undefined ? {} : { authorization }), 'content-type': 'text/csv' },
          body: method === 'POST' ? 'email\nintruder@example.com\n' : undefined,
        });
        expect(response.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect((await errorOf(response)).code).toBe('unauthorized');
      }
    }
    expect(await subscriberStatus('intruder@example.com')).toBeNull();
    expect(await subscriberStatus('victim@example.com')).toBe('confirmed');
    expect(await count(`SELECT count(*) AS n FROM sends`)).toBe(0);
  });

  it('accepts the right token (the scheme in any case) and ignores a token in the query string', async () => {
    expect((await admin('/api/subscribers')).status).toBe(200);
    expect((await call('/api/subscribers', { headers: { authorization: `bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    for (const name of ['token', 'access_token', 'auth', 'bearer', 'ADMIN_TOKEN']) {
      expect((await call(`/api/subscribers?${name}=${ADMIN_TOKEN}`)).status, name).toBe(401);
    }
  });

  it('answers 401 to every call when no ADMIN_TOKEN is configured, even with a token', async () => {
    for (const token of ['', ADMIN_TOKEN, 'undefined', 'null']) {
      const response = await callWithEnv({ ADMIN_TOKEN: undefined }, '/api/subscribers', { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe('unauthorized');
    }
    const blank = await callWithEnv({ ADMIN_TOKEN: '   ' }, '/api/issues', { headers: { authorization: 'Bearer    ' } });
    expect(blank.status).toBe(401);
  });
});

describe('listing subscribers', () => {
  it('pages through every subscriber once with an opaque cursor, filtered by status', async () => {
    const csv = 'email,name\n' + Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}@list.example,Page ${i}`).join('\n');
    expect((await importCsv(csv, 'confirmed')).imported).toBe(23);
    await importCsv('email\npending-1@list.example\npending-2@list.example\n', 'pending');

    const pages = await allPages('status=confirmed&limit=5');
    expect(pages.every((p) => p.length <= 5)).toBe(true);
    const listed = pages.flat().filter((s) => s.email.endsWith('@list.example'));
    expect(listed.map((s) => s.email)).toEqual(Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}@list.example`));
    expect(new Set(pages.flat().map((s) => s.email)).size).toBe(pages.flat().length);
    expect(pages.flat().every((s) => s.status === 'confirmed')).toBe(true);
    expect(listed[0]).toEqual({ email: 'page-00@list.example', name: 'Page 0', status: 'confirmed', createdAt: expect.any(String), confirmedAt: expect.any(String), pausedUntil: null });
    expect(Date.parse(listed[0].createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const pending = (await allPages('status=pending')).flat();
    expect(pending.map((s) => s.email)).toEqual(expect.arrayContaining(['pending-1@list.example', 'pending-2@list.example']));
    expect(pending.every((s) => s.status === 'pending' && s.confirmedAt === null)).toBe(true);

    // Unfiltered, the default page size, the last page says there is no next one.
    const everyone = (await allPages('')).flat();
    expect(everyone.length).toBe(await count('SELECT count(*) AS n FROM subscribers'));
    const last: Page = await adminJson('/api/subscribers?limit=1000');
    expect(last.nextCursor).toBeNull();
  });

  it('refuses a garbage cursor, limit or status with 400, never a 5xx', async () => {
    const cases: [string, string][] = [
      ['cursor=garbage', 'invalid_cursor'],
      ['cursor=%00%01', 'invalid_cursor'],
      ['cursor=' + 'A'.repeat(5000), 'invalid_cursor'],
      [`cursor=${btoa('v1:abc')}`, 'invalid_cursor'],
      [`cursor=${btoa('v1:-1')}`, 'invalid_cursor'],
      [`cursor=${btoa('v2:10')}`, 'invalid_cursor'],
      ["cursor=' OR 1=1 --", 'invalid_cursor'],
      ['limit=0', 'invalid_limit'],
      ['limit=-1', 'invalid_limit'],
      ['limit=1001', 'invalid_limit'],
      ['limit=1.5', 'invalid_limit'],
      ['limit=ten', 'invalid_limit'],
      ['limit=99999999999999999999', 'invalid_limit'],
      ['status=active', 'invalid_status'],
      ['status=CONFIRMED', 'invalid_status'],
      ["status=confirmed' OR '1'='1", 'invalid_status'],
    ];
    for (const [query, code] of cases) {
      const response = await admin(`/api/subscribers?${query}`);
      expect(response.status, query).toBe(400);
      expect((await errorOf(response)).code, query).toBe(code);
    }
  });
});

describe('CSV export and import', () => {
  const tricky: [string, string][] = [
    ['comma@trip.example', 'Smith, Ann'],
    ['quotes@trip.example', 'Ann "The Reader" Smith'],
    ['formula@trip.example', '=HYPERLINK("http://evil.example","click")'],
    ['plus@trip.example', '+1 555 0100'],
    ['minus@trip.example', '-Minus'],
    ['at@trip.example', '@handle'],
    ['apostrophe@trip.example', "'quoted already"],
    ['apostrophe-formula@trip.example', "'=not a formula"],
    ['unicode@trip.example', 'Zoë Ångström 漢字 🙂'],
    ['=eq@trip.example', 'Leading equals address'],
    ['-dash@trip.example', ''],
    ["o'brien@trip.example", 'Semi; colon | pipe \\ backslash'],
  ];

  it('exports quoted CSV with formula cells neutralised', async () => {
    // Written the way the export writes cells (a leading apostrophe escapes a formula character or
    // an apostrophe), so "'=not a formula" arrives as itself.
    const csv = Papa.unparse({ fields: ['email', 'name'], data: tricky.map((row) => row.map(neutralizeCell)) }, { newline: '\n' });
    const report = await importCsv(csv, 'confirmed');
    expect(report).toMatchObject({ imported: tricky.length, skipped: 0, invalid: [] });
    for (const [email, name] of tricky) {
      const stored = await env.DB.prepare('SELECT name FROM subscribers WHERE email = ?1').bind(email).first<{ name: string | null }>();
      expect(stored?.name ?? '', email).toBe(name);
    }

    const text = await exportText();
    const [header, ...lines] = text.split('\r\n');
    expect(header).toBe('email,name,status,created_at,confirmed_at'); // exactly the contract's header
    expect(text.endsWith('\r\n')).toBe(true);
    const line = (email: string) => lines.find((l) => l.startsWith(`"${email}",`) || l.startsWith(`"'${email}",`))!;
    expect(line('formula@trip.example')).toMatch(/^"formula@trip\.example","'=HYPERLINK\(""http:\/\/evil\.example"",""click""\)","confirmed","\d{4}-\d\d-\d\dT[^"]+Z","\d{4}-[^"]+Z"$/);
    expect(line('plus@trip.example')).toContain(`"'+1 555 0100"`);
    expect(line('minus@trip.example')).toContain(`"'-Minus"`);
    expect(line('at@trip.example')).toContain(`"'@handle"`);
    expect(line('=eq@trip.example')).toMatch(/^"'=eq@trip\.example"/);
    expect(line('-dash@trip.example')).toMatch(/^"'-dash@trip\.example",""/);
    expect(line('apostrophe@trip.example')).toContain(`"''quoted already"`);
    // No cell of the export starts with a character a spreadsheet would evaluate.
    for (const row of Papa.parse<string[]>(text, { skipEmptyLines: true }).data) {
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it('round trip: what goes out comes back the same (addresses, names, statuses)', async () => {
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed', left_at = ?1 WHERE email = 'minus@trip.example'`).bind(Date.now()).run();
    const first = await exportText();
    const ours = (rows: Record<string, string>[]) =>
      rows
        .filter((r) => r.email.includes('@trip.example'))
        .map((r) => ({ email: restoreCell(r.email), name: restoreCell(r.name), status: r.status }))
        .sort((a, b) => a.email.localeCompare(b.email));
    const before = ours(parseCsv(first));
    expect(before).toHaveLength(tricky.length);

    // The same people, gone from the list (not erased: that would suppress them), then the export imported.
    await env.DB.prepare(`DELETE FROM subscribers WHERE email LIKE '%@trip.example'`).run();
    const report = await importCsv(first, 'confirmed');
    const others = parseCsv(first).length - tricky.length;
    expect(report.invalid).toEqual([]);
    expect(report.imported).toBe(tricky.length - 1); // the unsubscribed one is stored as unsubscribed, not imported
    expect(report.skipped).toBe(others + 1);

    const after = ours(parseCsv(await exportText()));
    expect(after).toEqual(before);
    // Field by field, against what was first put in.
    for (const [email, name] of tricky) {
      const row = after.find((r) => r.email === email);
      expect(row, email).toBeDefined();
      expect(row!.name, email).toBe(name);
    }
    const listed = (await allPages('limit=1000')).flat();
    for (const [email, name] of tricky) expect(listed.find((s) => s.email === email)?.name ?? '').toBe(name);
    expect(await subscriberStatus('minus@trip.example')).toBe('unsubscribed');
  });

  it('reads cells from other tools as they are, and an apostrophe-escaped formula as the formula text', async () => {
    const csv = 'email,name\nraw-formula@trip2.example,=1+2\nescaped@trip2.example,\'=1+2\nplain-apostrophe@trip2.example,\'Sam\n';
    expect((await importCsv(csv, 'confirmed')).imported).toBe(3);
    const names = await env.DB.prepare(`SELECT email, name FROM subscribers WHERE email LIKE '%@trip2.example' ORDER BY id`).all<{ email: string; name: string }>();
    expect(names.results.map((r) => r.name)).toEqual(['=1+2', '=1+2', "'Sam"]);
  });

  it('exports one status only when asked, and refuses an unknown one', async () => {
    const rows = parseCsv(await exportText('?status=unsubscribed'));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.status === 'unsubscribed')).toBe(true);
    const bad = await admin('/api/subscribers/export?status=gone');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('invalid_status');
  });

  it('reads BOM, CRLF, any header case and order, extra columns, quoted commas and line breaks', async () => {
    const csv =
      '\uFEFFCompany,"E-Mail",NAME,notes\r\n' +
      'Acme,bom-one@edge.example,"Doe, Jane","says ""hi"""\r\n' +
      '\r\n' +
      'Initech,bom-two@edge.example,"Multi\r\nLine Name",x\r\n' +
      'Globex,  BOM-Three@Edge.Example  ,,\r\n' +
      'Umbrella,bom-four@edge.example\r\n';
    const report = await importCsv(csv, 'confirmed');
    expect(report).toMatchObject({ imported: 4, skipped: 0, invalid: [] });
    const rows = await env.DB.prepare(`SELECT email, name FROM subscribers WHERE email LIKE 'bom-%' ORDER BY id`).all<{ email: string; name: string | null }>();
    expect(rows.results).toEqual([
      { email: 'bom-one@edge.example', name: 'Doe, Jane' },
      { email: 'bom-two@edge.example', name: 'Multi Line Name' },
      { email: 'bom-three@edge.example', name: null },
      { email: 'bom-four@edge.example', name: null },
    ]);
  });

  it('reports each invalid row by the line it starts on, skips duplicates, imports the rest', async () => {
    await importCsv('email\nalready@edge.example\n', 'confirmed');
    const csv = [
      'email,name', // line 1
      'good-1@edge.example,One', // 2
      'not-an-address,Two', // 3
      '"good-2@edge.example","Two\nLines"', // 4-5
      ',No address', // 6
      'a@b@edge.example,Three', // 7
      `good-3@edge.example,${'x'.repeat(201)}`, // 8
      'GOOD-1@edge.example,Dup in file', // 9
      'Already@Edge.example,Dup in list', // 10
      'bell@edge.example,Ring\u0007', // 11
      'good-4@edge.example,"unclosed', // 12 (the open quote runs to the end of the file)
      'lost@edge.example,Lost',
    ].join('\n');
    const report = await importCsv(csv, 'confirmed');
    expect(report.imported).toBe(2);
    expect(report.skipped).toBe(2);
    expect(report.invalid.map((i) => i.line)).toEqual([3, 6, 7, 8, 11, 12]);
    for (const entry of report.invalid) expect(entry.reason.length).toBeGreaterThan(10);
    expect(report.invalid.find((i) => i.line === 12)!.reason).toMatch(/quote/i);
    expect(await subscriberStatus('good-1@edge.example')).toBe('confirmed');
    expect((await env.DB.prepare(`SELECT name FROM subscribers WHERE email = 'good-1@edge.example'`).first<{ name: string }>())!.name).toBe('One');
    expect(await subscriberStatus('good-3@edge.example')).toBeNull();
    expect(await subscriberStatus('lost@edge.example')).toBeNull();
  });

  it('refuses what is not a CSV import with a clear 4xx and stores nothing', async () => {
    const before = await count('SELECT count(*) AS n FROM subscribers');
    const post = (body: BodyInit, type: string | null, query = '?status=confirmed') =>
      admin(`/api/subscribers/import${query}`, { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
    const cases: [Promise<Response>, number, string][] = [
      [post('email\nx1@bad.example\n', 'application/json'), 415, 'unsupported_media_type'],
      [post('email\nx2@bad.example\n', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'],
      [post('email\nx3@bad.example\n', 'multipart/form-data; boundary=x'), 415, 'unsupported_media_type'],
      [post('email\nx4@bad.example\n', null), 415, 'unsupported_media_type'],
      [post('email\nx5@bad.example\n', 'text/csv; charset=klingon'), 415, 'unsupported_charset'],
      [post('email\nx6@bad.example\n', 'text/csv', '?status=unsubscribed'), 400, 'invalid_status'],
      [post('email\nx7@bad.example\n', 'text/csv', '?status=CONFIRMED'), 400, 'invalid_status'],
      [post('', 'text/csv'), 400, 'empty_csv'],
      [post('\uFEFF\r\n\r\n', 'text/csv'), 400, 'empty_csv'],
      [post('x8@bad.example,Name\n', 'text/csv'), 400, 'missing_email_column'],
      [post('name,address\nAnn,x9@bad.example\n', 'text/csv'), 400, 'missing_email_column'],
      [post(new Uint8Array([0x65, 0x6d, 0x61, 0xff, 0xfe, 0x0a, 0x78, 0x40, 0x62, 0x2e, 0x65, 0x78, 0x0a]), 'text/csv'), 400, 'invalid_encoding'],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect(response.status, code).toBe(status);
      expect((await errorOf(response)).code).toBe(code);
    }
    expect(await count('SELECT count(*) AS n FROM subscribers')).toBe(before);
  });

  it('reports rows whose bytes are not UTF-8 by line, and imports the rest (the rows before may already be in)', async () => {
    const bytes = (text: string) => [...new TextEncoder().encode(text)];
    const body = new Uint8Array([...bytes('email,name\nlatin-1@enc.example,Zo'), 0xeb, ...bytes('\nutf-8@enc.example,Zo\u00eb\nbroken-'), 0xff, ...bytes('@enc.example,x\n')]);
    const response = await admin('/api/subscribers/import?status=confirmed', { method: 'POST', body, headers: { 'content-type': 'text/csv' } });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { imported: number; skipped: number; invalid: { line: number; reason: string }[] };
    expect(report.imported).toBe(1);
    expect(report.invalid.map((i) => i.line)).toEqual([2, 4]);
    expect(report.invalid[0].reason).toMatch(/UTF-8/);
    expect((await env.DB.prepare(`SELECT name FROM subscribers WHERE email = 'utf-8@enc.example'`).first<{ name: string }>())!.name).toBe('Zo\u00eb');
    expect(await subscriberStatus('latin-1@enc.example')).toBeNull();
    // The charset the request names is the one read.
    const latin1 = await admin('/api/subscribers/import?status=confirmed', { method: 'POST', body: new Uint8Array([...bytes('email,name\nlatin-1@enc.example,Zo'), 0xeb, 0x0a]), headers: { 'content-type': 'text/csv; charset=iso-8859-1' } });
    expect(await latin1.json()).toMatchObject({ imported: 1, skipped: 0, invalid: [] });
    expect((await env.DB.prepare(`SELECT name FROM subscribers WHERE email = 'latin-1@enc.example'`).first<{ name: string }>())!.name).toBe('Zo\u00eb');
  });

  it('accepts application/csv and an explicit utf-8 charset', async () => {
    const response = await admin('/api/subscribers/import?status=confirmed', { method: 'POST', body: 'email\ncharset@edge.example\n', headers: { 'content-type': 'application/csv; charset=UTF-8' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ imported: 1, skipped: 0, invalid: [] });
  });
});

describe('import and consent', () => {
  it('status=pending (the default) sends each new subscriber one confirmation through the queue', async () => {
    const report = await importCsv('email,name\nwants-1@consent.example,Wanda\nwants-2@consent.example,\n');
    expect(report).toMatchObject({ imported: 2, skipped: 0, invalid: [] });
    const row = await env.DB.prepare(`SELECT status, confirmed_at AS c, confirmation_sent_at AS s FROM subscribers WHERE email = 'wants-1@consent.example'`).first<{ status: string; c: number | null; s: number | null }>();
    expect(row).toMatchObject({ status: 'pending', c: null, s: expect.any(Number) });
    const [mail] = await waitForMail('wants-1@consent.example', 'Confirm');
    await waitForMail('wants-2@consent.example', 'Confirm');
    // The link in it confirms, like a form sign-up's.
    const confirmed = await call(linkIn(mail, '/confirm?token='), { method: 'POST', headers: { accept: 'application/json' } });
    expect(confirmed.status).toBe(200);
    expect(await subscriberStatus('wants-1@consent.example')).toBe('confirmed');

    // The 15-minute rule holds for them as for anyone: a form sign-up right after sends nothing more.
    await postJson('/subscribe', { email: 'wants-2@consent.example' });
    await new Promise((r) => setTimeout(r, 1200));
    expect((await mailsTo('wants-2@consent.example')).filter((m) => m.subject.includes('Confirm'))).toHaveLength(1);
  });

  it('status=confirmed sends nothing and records when consent was given', async () => {
    await importCsv('email\nconsented@consent.example\n', 'confirmed');
    const row = await env.DB.prepare(`SELECT status, confirmed_at AS c, confirmation_sent_at AS s FROM subscribers WHERE email = 'consented@consent.example'`).first<{ status: string; c: number | null; s: number | null }>();
    expect(row).toMatchObject({ status: 'confirmed', c: expect.any(Number), s: null });
    await new Promise((r) => setTimeout(r, 1200));
    expect(await mailsTo('consented@consent.example')).toHaveLength(0);
  });

  it('a status column can keep someone out or pending, never confirm them', async () => {
    const csv = 'email,status\nfile-pending@consent.example,pending\nfile-bounced@consent.example,bounced\nfile-confirmed@consent.example,confirmed\nfile-odd@consent.example,whatever\n';
    const report = await importCsv(csv, 'confirmed');
    expect(report).toMatchObject({ imported: 3, skipped: 1, invalid: [] });
    expect(await subscriberStatus('file-pending@consent.example')).toBe('pending');
    expect(await subscriberStatus('file-bounced@consent.example')).toBe('bounced');
    expect(await subscriberStatus('file-confirmed@consent.example')).toBe('confirmed');
    expect(await subscriberStatus('file-odd@consent.example')).toBe('confirmed');
    await waitForMail('file-pending@consent.example', 'Confirm');
    expect(await mailsTo('file-bounced@consent.example')).toHaveLength(0);
  });

  it('never resurrects an unsubscribed, bounced or complained address', async () => {
    // Unsubscribed through the real one-click link; bounced and complained as the webhook leaves them.
    await subscribeAndConfirm('left@suppress.example');
    const [welcome] = await waitForMail('left@suppress.example', 'Welcome');
    await call(linkIn(welcome, '/unsubscribe?token='), { method: 'POST' });
    expect(await subscriberStatus('left@suppress.example')).toBe('unsubscribed');
    await importCsv('email\nbounced@suppress.example\ncomplained@suppress.example\n', 'confirmed');
    await env.DB.prepare(`UPDATE subscribers SET status = 'bounced', left_at = ?1 WHERE email = 'bounced@suppress.example'`).bind(Date.now()).run();
    await env.DB.prepare(`UPDATE subscribers SET status = 'complained', left_at = ?1 WHERE email = 'complained@suppress.example'`).bind(Date.now()).run();

    for (const status of ['confirmed', 'pending'] as const) {
      const report = await importCsv('email,name\nLeft@Suppress.example,Back\nbounced@suppress.example,Back\nCOMPLAINED@suppress.example,Back\n', status);
      expect(report).toMatchObject({ imported: 0, skipped: 3, invalid: [] });
    }
    expect(await subscriberStatus('left@suppress.example')).toBe('unsubscribed');
    expect(await subscriberStatus('bounced@suppress.example')).toBe('bounced');
    expect(await subscriberStatus('complained@suppress.example')).toBe('complained');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await mailsTo('bounced@suppress.example')).length + (await mailsTo('complained@suppress.example')).length).toBe(0);
  });
});

describe('a streamed import', () => {
  it('reads a body that arrives in small pieces (split inside characters, CRLF and quotes) as the whole file', async () => {
    const csv = '\uFEFFEmail,Name\r\n' + Array.from({ length: 300 }, (_, i) => `piece-${i}@stream.example,"Zo\u00eb ${i}, \u6f22\u5b57 ""q""\r\nline two"`).join('\r\n') + '\r\nnot-an-address,x\r\n';
    const bytes = new TextEncoder().encode(csv);
    const pieces: Uint8Array[] = [];
    for (let at = 0, size = 1; at < bytes.length; at += size, size = (size % 7) + 1) pieces.push(bytes.slice(at, at + size));
    const response = await postStream(streamOf(pieces));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ imported: 300, skipped: 0, invalid: [{ line: 602, reason: expect.stringMatching(/@/) }] });
    const row = await env.DB.prepare(`SELECT name FROM subscribers WHERE email = 'piece-299@stream.example'`).first<{ name: string }>();
    expect(row!.name).toBe('Zo\u00eb 299, \u6f22\u5b57 "q" line two');
  });

  it('refuses a body without a declared length once it passes the limit, with a 413 that says what to do', async () => {
    // Every row is invalid (no address), so nothing is stored on the way to the limit.
    const row = ',' + 'z'.repeat(1024 * 1024 - 2) + '\n';
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(sent === 0 ? 'email,notes\n' : row));
        sent++;
      },
    });
    const before = await count('SELECT count(*) AS n FROM subscribers');
    const response = await postStream(body);
    expect(response.status).toBe(413);
    const error = ((await response.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toMatch(/at most/);
    expect(sent).toBeLessThan(70); // it stopped reading at the limit
    expect(await count('SELECT count(*) AS n FROM subscribers')).toBe(before);
  });

  it(`lists the first ${INVALID_LISTED} invalid rows in file order and counts them all`, async () => {
    const lines = Array.from({ length: 2500 }, (_, i) => (i % 2 === 0 ? `bad-${i}-at-nowhere` : `fine-${i}@many.example`));
    const report = await importCsv('email\n' + lines.join('\n') + '\n', 'confirmed');
    expect(report.imported).toBe(1250);
    expect(report.invalid).toHaveLength(INVALID_LISTED);
    expect((report as { invalidTotal?: number }).invalidTotal).toBe(1250);
    expect(report.invalid[0].line).toBe(2);
    expect(report.invalid.map((i) => i.line)).toEqual(Array.from({ length: INVALID_LISTED }, (_, i) => 2 + 2 * i));
  });

  it('reports a quote that never closes within the record limit, keeps the rows before it, and reads nothing after', async () => {
    const csv = `email,name\nbefore@quote.example,Before\nopen@quote.example,"never closed\n${'after@quote.example,After\n'.repeat(Math.ceil(MAX_RECORD_CHARS / 20))}`;
    const response = await postStream(streamOf([csv.slice(0, 100_000), csv.slice(100_000)]));
    const report = (await response.json()) as { imported: number; invalid: { line: number; reason: string }[] };
    expect(report.imported).toBe(1);
    expect(report.invalid).toHaveLength(1);
    expect(report.invalid[0]).toMatchObject({ line: 3, reason: expect.stringMatching(/quote/) });
    expect(await subscriberStatus('before@quote.example')).toBe('confirmed');
    expect(await subscriberStatus('after@quote.example')).toBeNull();
  });
});

describe('durable pending imports', () => {
  const csv = (domain: string) => `email,name\nann@${domain},Ann\nbob@${domain},Bob\ncid@${domain},Cid\n`;
  const people = (domain: string) => ['ann', 'bob', 'cid'].map((p) => `${p}@${domain}`);

  it('a crash between the insert and the enqueue: housekeeping queues each owed confirmation, and each reader gets exactly one', async () => {
    const domain = 'crash.owed.example';
    const during = capturingQueue();
    await expect(importSubscribers({ ...env, SEND_QUEUE: during.queue }, getDb(env.DB), streamOf([csv(domain)]), { status: 'pending', crashAt: 'after_insert' })).rejects.toThrow(
      'injected crash after_insert',
    );
    expect(during.sent).toEqual([]);
    const markers = await owedMarkers(domain);
    expect(markers).toHaveLength(3);
    for (const m of markers) expect(m.owed).toBe(m.sent); // the claim, and that it is owed
    for (const address of people(domain)) expect(await confirmationsTo(address)).toBe(0);

    // Housekeeping (the maintenance run) queues them: one message per reader, for the import's claim.
    const sweep = capturingQueue();
    await runMaintenance(getDb(env.DB), { ...env, SEND_QUEUE: sweep.queue }, readConfig(env));
    const owed = sweep.sent.filter((m): m is ConfirmationMessage => m.type === 'confirmation');
    expect(owed).toHaveLength(3);
    expect(owed.map((m) => m.requestedAt)).toEqual(markers.map((m) => m.sent));
    expect((await owedMarkers(domain)).map((m) => m.owed)).toEqual([null, null, null]);
    await consume(owed);
    for (const address of people(domain)) expect(await confirmationsTo(address)).toBe(1);

    // Nothing is owed any more, and a re-import changes nothing.
    expect(await sendOwedConfirmations({ ...env, SEND_QUEUE: sweep.queue }, getDb(env.DB))).toBe(0);
    expect(await importCsv(csv(domain), 'pending')).toMatchObject({ imported: 0, skipped: 3, invalid: [] });
    expect(await owedMarkers(domain)).toSatisfy((rows: { owed: number | null }[]) => rows.every((r) => r.owed === null));
  });

  it('an enqueue whose answer is lost: the import answers, housekeeping queues the same messages again, and still one email each', async () => {
    const domain = 'lost.owed.example';
    // The messages reach the queue; then the call fails, as if the Worker died before hearing back.
    const during = capturingQueue(async () => {
      throw new Error('queue answer lost');
    });
    const outcome = await importSubscribers({ ...env, SEND_QUEUE: during.queue }, getDb(env.DB), streamOf([csv(domain)]), { status: 'pending' });
    expect(outcome).toMatchObject({ ok: true, report: { imported: 3, skipped: 0, invalid: [] } });
    expect(during.sent).toHaveLength(3);
    expect((await owedMarkers(domain)).every((m) => m.owed !== null)).toBe(true);

    const sweep = capturingQueue();
    expect(await sendOwedConfirmations({ ...env, SEND_QUEUE: sweep.queue }, getDb(env.DB))).toBe(3);
    expect(sweep.sent).toEqual(during.sent); // the same claims, so the same emails under the same keys
    await consume(during.sent);
    await consume(sweep.sent);
    for (const address of people(domain)) expect(await confirmationsTo(address)).toBe(1);
  });

  it('a form sign-up whose enqueue fails is owed too: housekeeping queues it, and the reader gets one email', async () => {
    const address = 'form@owed.example';
    const down = capturingQueue(async () => {
      throw new Error('queue unavailable');
    });
    const db = getDb(env.DB);
    expect(await signUp(db, { ...env, SEND_QUEUE: down.queue }, address, null)).toBe('confirmation_queued');
    const [marker] = await owedMarkers('owed.example').then((rows) => rows.filter((r) => r.email === address));
    expect(marker.owed).toBe(marker.sent);
    // Asking again within 15 minutes changes nothing; the owed email is not lost meanwhile.
    expect(await signUp(db, { ...env, SEND_QUEUE: down.queue }, address, null)).toBe('nothing_to_do');
    const sweep = capturingQueue();
    expect(await sendOwedConfirmations({ ...env, SEND_QUEUE: sweep.queue }, db)).toBeGreaterThanOrEqual(1);
    const mine = sweep.sent.filter((m): m is ConfirmationMessage => m.type === 'confirmation' && m.requestedAt === marker.sent);
    expect(mine).toHaveLength(1);
    await consume(mine);
    expect(await confirmationsTo(address)).toBe(1);
    // A sign-up whose enqueue works owes nothing afterwards.
    const fine = capturingQueue();
    expect(await signUp(db, { ...env, SEND_QUEUE: fine.queue }, 'fine@owed.example', null)).toBe('confirmation_queued');
    expect(fine.sent).toHaveLength(1);
    expect((await owedMarkers('owed.example')).find((r) => r.email === 'fine@owed.example')?.owed).toBeNull();
  });

  it('clears a marker whose claim is no longer current without queueing anything', async () => {
    const domain = 'void.owed.example';
    await expect(importSubscribers(env, getDb(env.DB), streamOf([csv(domain)]), { status: 'pending', crashAt: 'after_insert' })).rejects.toThrow();
    // Ann confirmed through another way; Bob asked again through the form later (a newer claim, queued by it).
    await env.DB.prepare(`UPDATE subscribers SET status = 'confirmed', confirmed_at = ?1 WHERE email = ?2`).bind(Date.now(), `ann@${domain}`).run();
    await env.DB.prepare(`UPDATE subscribers SET confirmation_sent_at = confirmation_sent_at + 1000 WHERE email = ?1`).bind(`bob@${domain}`).run();
    const sweep = capturingQueue();
    expect(await sendOwedConfirmations({ ...env, SEND_QUEUE: sweep.queue }, getDb(env.DB))).toBe(1);
    const ids = await env.DB.prepare(`SELECT id FROM subscribers WHERE email = ?1`).bind(`cid@${domain}`).first<{ id: number }>();
    expect(sweep.sent.map((m) => (m as ConfirmationMessage).subscriberId)).toEqual([ids!.id]);
    expect((await owedMarkers(domain)).map((m) => m.owed)).toEqual([null, null, null]);
  });

  it('a confirmed import owes nothing', async () => {
    await importCsv(csv('confirmed.owed.example'), 'confirmed');
    expect((await owedMarkers('confirmed.owed.example')).map((m) => [m.sent, m.owed])).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
  });
});

describe('erasing a person', () => {
  const issue: Article = { slug: 'erase-fixture', date: '2026-01-05', title: 'Before The Erasure', summary: 'An issue.', markdown: 'Text.' };

  it('erases the row, name, address and delivery records, keeping only the hash', async () => {
    await subscribeAndConfirm('forget.me+news@erase.example', 'Forget Me');
    const started = await weekly(Date.now(), [issue]);
    expect(started.started?.started).toBe(true);
    await waitFor(async () => (await env.DB.prepare(`SELECT status FROM sends WHERE slug = 'erase-fixture'`).first<{ status: string }>())?.status === 'sent', 'the fixture send');
    const id = (await env.DB.prepare(`SELECT id FROM subscribers WHERE email = 'forget.me+news@erase.example'`).first<{ id: number }>())!.id;
    expect(await count('SELECT count(*) AS n FROM deliveries WHERE subscriber_id = ?1', id)).toBe(1);

    const response = await admin(`/api/subscribers/${encodeURIComponent('Forget.Me+News@Erase.Example')}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ erased: true, found: true });

    expect(await subscriberStatus('forget.me+news@erase.example')).toBeNull();
    expect(await count('SELECT count(*) AS n FROM deliveries WHERE subscriber_id = ?1', id)).toBe(0);
    // Nothing anywhere in the database still holds the address or the name.
    const { results: tables } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'`).all<{ name: string }>();
    for (const { name } of tables) {
      const { results: columns } = await env.DB.prepare(`SELECT name FROM pragma_table_info(?1)`).bind(name).all<{ name: string }>();
      const where = columns.map((c) => `CAST("${c.name}" AS TEXT) LIKE '%forget.me%' OR CAST("${c.name}" AS TEXT) LIKE '%Forget Me%'`).join(' OR ');
      expect(await count(`SELECT count(*) AS n FROM "${name}" WHERE ${where}`), name).toBe(0);
    }
    const hash = await emailHash('forget.me+news@erase.example');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await count('SELECT count(*) AS n FROM suppressions WHERE email_hash = ?1', hash)).toBe(1);

    // Erasing again is harmless.
    expect(await (await admin('/api/subscribers/forget.me%2Bnews%40erase.example', { method: 'DELETE' })).json()).toEqual({ erased: true, found: false });
  });

  it('skips an erased address on import, in any spelling', async () => {
    const report = await importCsv('email,name\nFORGET.ME+NEWS@erase.example,Forget Me\n', 'confirmed');
    expect(report).toMatchObject({ imported: 0, skipped: 1, invalid: [] });
    expect(await subscriberStatus('forget.me+news@erase.example')).toBeNull();
  });

  it('lets an erased person subscribe again through the form', async () => {
    const response = await postJson('/subscribe', { email: 'forget.me+news@erase.example' });
    expect(response.status).toBe(202);
    expect(await subscriberStatus('forget.me+news@erase.example')).toBe('pending');
    await waitForMail('forget.me+news@erase.example', 'Confirm');
  });

  it('erases addresses with characters that need encoding in a path', async () => {
    const addresses = ['slash/in@erase.example', 'per%cent@erase.example', 'hash#tag@erase.example', "o'hara?x=1@erase.example"];
    expect((await importCsv('email\n' + addresses.join('\n') + '\n', 'confirmed')).imported).toBe(addresses.length);
    for (const address of addresses) {
      const response = await admin(`/api/subscribers/${encodeURIComponent(address)}`, { method: 'DELETE' });
      expect(await response.json(), address).toEqual({ erased: true, found: true });
      expect(await subscriberStatus(address)).toBeNull();
    }
  });

  it('suppresses an address that was never on the list, and refuses one that is not an address', async () => {
    const response = await admin('/api/subscribers/never-here%40erase.example', { method: 'DELETE' });
    expect(await response.json()).toEqual({ erased: true, found: false });
    expect((await importCsv('email\nnever-here@erase.example\n', 'confirmed')).skipped).toBe(1);
    for (const bad of ['not-an-address', '%20', 'a%40b%40c.example', encodeURIComponent('x'.repeat(300) + '@a.example')]) {
      const refused = await admin(`/api/subscribers/${bad}`, { method: 'DELETE' });
      expect(refused.status, bad).toBe(400);
      expect((await errorOf(refused)).code).toBe('invalid_email');
    }
  });
});

// Last in the file: the 50,000 confirmed readers it leaves behind would be recipients of any later send.
describe('a large import', () => {
  it('imports 50,000 rows in one call', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => `reader-${i}@bulk.example,"Reader ${i}, the ${i % 7 === 0 ? '=lucky' : 'usual'} one"`);
    const csv = 'email,name\r\n' + rows.join('\r\n') + '\r\n';
    const started = Date.now();
    const report = await importCsv(csv, 'confirmed');
    const ms = Date.now() - started;
    console.log(`50,000-row import (${(csv.length / 1e6).toFixed(1)} MB): ${ms} ms`);
    expect(report).toMatchObject({ imported: 50_000, skipped: 0, invalid: [] });
    expect(await count(`SELECT count(*) AS n FROM subscribers WHERE email LIKE '%@bulk.example' AND status = 'confirmed' AND confirmed_at IS NOT NULL`)).toBe(50_000);
    expect((await env.DB.prepare(`SELECT name FROM subscribers WHERE email = 'reader-49999@bulk.example'`).first<{ name: string }>())!.name).toBe('Reader 49999, the usual one');

    // The same file again: every row a duplicate, nothing changes.
    const again = await importCsv(csv, 'confirmed');
    expect(again).toMatchObject({ imported: 0, skipped: 50_000, invalid: [] });
  });

  it('takes a body over 10 MB, and refuses one declaring more than the import limit with 413 before reading it', async () => {
    const long = 'y'.repeat(190);
    const csv = 'email,name\n' + Array.from({ length: 50_000 }, (_, i) => `big-${i}@big.example,${long}${i}`).join('\n');
    expect(csv.length).toBeGreaterThan(10 * 1024 * 1024);
    const started = Date.now();
    const report = await importCsv(csv, 'confirmed');
    console.log(`50,000-row import (${(csv.length / 1e6).toFixed(1)} MB): ${Date.now() - started} ms`);
    expect(report).toMatchObject({ imported: 50_000, skipped: 0, invalid: [] });

    const before = await count('SELECT count(*) AS n FROM subscribers');
    const body = new Uint8Array(IMPORT_BODY_LIMIT + 1).fill(0x0a);
    body.set(new TextEncoder().encode('email\ntoo-much@big.example\n'));
    const huge = await admin('/api/subscribers/import?status=confirmed', { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    expect(huge.status).toBe(413);
    const error = ((await huge.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toMatch(/64 MB/);
    expect(await count('SELECT count(*) AS n FROM subscribers')).toBe(before);
  });
});
