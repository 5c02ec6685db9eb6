// Importing back issues from Substack (export zip) or Ghost (JSON export) into the archive.
//
// Two steps, so that bad input changes nothing:
//  1. Read: the body is read as it arrives (at most IMPORT_BODY_LIMIT bytes), the zip entry by entry
//     with fflate (only posts.csv and posts/*.html are inflated, each at most MAX_ENTRY_BYTES), the
//     JSON post by post with @streamparser/json. Each post is judged and turned into Markdown at
//     once (posts.ts), so what is held is the Markdown of the posts to import (at most
//     MAX_MARKDOWN_CHARS), never the body, and never more than one raw post (or, when a zip lists
//     posts.csv after its posts, their HTML until it comes).
//  2. Store: only once the whole file was read without a problem, each post is recorded as an issue
//     sent and never mailed (recordImportedIssue, issue 19's store): in /archive and the feed by its
//     date, `sent` in the API, never picked by a send. A slug already used (by an article of either
//     source, or the same import run before) is skipped with the reason, so running an import again
//     changes nothing, and one cut short by a crash can be run again.
// A dry run does step 1 and asks, read only, which slugs are taken: the same answer, nothing stored.
import { JSONParser } from '@streamparser/json';
import Papa from 'papaparse';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import type { Db } from '../db/client';
import { recordImportedIssue, slugTaken } from '../issues/stored-articles';
import { IMPORT_BODY_LIMIT } from '../subscribers/import';
import { type ArchivePost, ghostPost, judgeSubstackRow, type Skip, substackPost, type SubstackMeta } from './posts';

export type ArchiveFormat = 'substack' | 'ghost';

export interface ArchiveReport {
  format: ArchiveFormat;
  imported: number;
  skipped: Skip[];
  /** The issues imported (or, in a dry run, that would be), oldest first. */
  issues: { slug: string; title: string; date: string }[];
  dryRun?: true;
}

export type ArchiveOutcome = { ok: true; report: ArchiveReport } | { ok: false; status: 400 | 413 | 415; code: string; message: string };

/** A post's HTML past this is not a newsletter issue (and could be a zip bomb): skipped. */
export const MAX_ENTRY_BYTES = 8 * 1024 * 1024;
/** The Markdown held between reading and storing. About 3,000 long issues. */
export const MAX_MARKDOWN_CHARS = 32 * 1024 * 1024;
/** HTML held while waiting for a posts.csv that comes after the posts in the zip. */
const MAX_WAITING_CHARS = 32 * 1024 * 1024;

const TOO_LARGE = {
  status: 413 as const,
  code: 'payload_too_large',
  message: `The export is larger than ${IMPORT_BODY_LIMIT / (1024 * 1024)} MB, the most one import reads. Export fewer posts at a time (or leave out the images), and import each file: posts already imported are skipped.`,
};

export interface ArchiveOptions {
  dryRun?: boolean;
  /** The old site's address, for Ghost's `__GHOST_URL__` links (and relative links). */
  siteUrl?: string | null;
}

class Refused extends Error {
  constructor(readonly outcome: Extract<ArchiveOutcome, { ok: false }>) {
    super(outcome.message);
  }
}

export async function importArchive(db: Db, body: ReadableStream<Uint8Array> | null, options: ArchiveOptions = {}): Promise<ArchiveOutcome> {
  if (!body) return { ok: false, status: 400, code: 'empty_body', message: 'The body is empty: send the Substack export zip or the Ghost JSON export.' };
  const reader = body.getReader();
  let drained = false;
  try {
    const first = await readChunk(reader);
    if (first === null) return { ok: false, status: 400, code: 'empty_body', message: 'The body is empty: send the Substack export zip or the Ghost JSON export.' };
    const format = sniff(first);
    if (!format) {
      return { ok: false, status: 415, code: 'unsupported_archive', message: 'This is neither a zip (Substack: Settings → Exports → "Create new export") nor JSON (Ghost: Settings → Advanced → Import/Export → "Export content").' };
    }
    const collector = new Collector();
    const sink = format === 'substack' ? new SubstackZip(collector) : new GhostJson(collector, options.siteUrl ?? null);
    let bytes = 0;
    for (let chunk: Uint8Array | null = first; chunk !== null; chunk = await readChunk(reader)) {
      bytes += chunk.byteLength;
      if (bytes > IMPORT_BODY_LIMIT) return { ok: false, ...TOO_LARGE };
      sink.push(chunk);
    }
    drained = true;
    sink.end();
    const posts = collector.posts.sort((a, b) => a.sentAt - b.sentAt || a.slug.localeCompare(b.slug));
    return { ok: true, report: await store(db, format, posts, collector.skipped, options.dryRun === true) };
  } catch (error) {
    if (error instanceof Refused) return error.outcome;
    if (error instanceof CutOff) return { ok: false, status: 400, code: 'incomplete_body', message: 'The upload was cut off before the end of the file. Send the whole file again: nothing was imported.' };
    throw error;
  } finally {
    if (!drained) await reader.cancel().catch(() => {});
  }
}

class CutOff extends Error {}

async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array | null> {
  let result: ReadableStreamReadResult<Uint8Array>;
  try {
    result = await reader.read();
  } catch {
    throw new CutOff();
  }
  return result.done ? null : result.value;
}

/** A zip starts with a local file header (`PK\x03\x04`); a JSON export with `{` (after any BOM/space). */
function sniff(first: Uint8Array): ArchiveFormat | null {
  if (first[0] === 0x50 && first[1] === 0x4b && first[2] === 0x03 && first[3] === 0x04) return 'substack';
  let i = 0;
  if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) i = 3;
  while (i < first.length && (first[i] === 0x20 || first[i] === 0x0a || first[i] === 0x0d || first[i] === 0x09)) i++;
  return first[i] === 0x7b ? 'ghost' : null;
}

/** The posts to store and the skips, with the Markdown budget. */
class Collector {
  readonly posts: ArchivePost[] = [];
  readonly skipped: Skip[] = [];
  private chars = 0;

  add(outcome: ArchivePost | Skip): void {
    if (!('slug' in outcome)) {
      this.skipped.push(outcome);
      return;
    }
    this.chars += outcome.markdown.length;
    if (this.chars > MAX_MARKDOWN_CHARS) {
      throw new Refused({ ok: false, status: 413, code: 'archive_too_large', message: `The posts come to more than ${MAX_MARKDOWN_CHARS / (1024 * 1024)} MB of text: export them in parts (by date) and import each; posts already imported are skipped.` });
    }
    this.posts.push(outcome);
  }
}

const POSTS_CSV = /(^|\/)posts\.csv$/;
const POST_HTML = /(^|\/)posts\/([^/]+)\.html$/;

/** A Substack export zip, entry by entry. */
class SubstackZip {
  private readonly unzip = new Unzip();
  private meta: Map<string, SubstackMeta> | null = null;
  /** Post HTML that came before posts.csv, by post id. */
  private waiting = new Map<string, string>();
  private waitingChars = 0;
  private readonly seenHtml = new Set<string>();
  /** Entries completed by the last push: their text, or why there is none. */
  private done: { name: string; text: string | null; problem?: string }[] = [];

  constructor(private readonly out: Collector) {
    this.unzip.register(UnzipInflate);
    this.unzip.onfile = (file) => this.onFile(file);
  }

  push(chunk: Uint8Array): void {
    try {
      this.unzip.push(chunk);
    } catch (error) {
      if (error instanceof Refused) throw error;
      throw new Refused({ ok: false, status: 400, code: 'invalid_zip', message: `The zip could not be read (${(error as Error).message}): send the export zip exactly as Substack gives it.` });
    }
    this.drain();
  }

  end(): void {
    try {
      this.unzip.push(new Uint8Array(0), true);
    } catch (error) {
      throw new Refused({ ok: false, status: 400, code: 'invalid_zip', message: `The zip could not be read to its end (${(error as Error).message}): send the whole export zip again.` });
    }
    this.drain();
    if (!this.meta) {
      throw new Refused({ ok: false, status: 400, code: 'missing_posts_csv', message: 'The zip has no posts.csv: send the export zip exactly as Substack gives it (Settings → Exports), with posts.csv and the posts/ folder.' });
    }
    for (const [id] of this.meta) if (!this.seenHtml.has(id)) this.out.add({ id, reason: `The zip has no posts/${id}.html for this post.` });
  }

  private onFile(file: UnzipFile): void {
    const wanted = POSTS_CSV.test(file.name) || POST_HTML.test(file.name);
    if (!wanted) return; // not started: fflate passes over its bytes without inflating them
    const parts: Uint8Array[] = [];
    let size = 0;
    let tooLarge = false;
    file.ondata = (error, data, final) => {
      if (error) {
        this.done.push({ name: file.name, text: null, problem: 'its compressed data is broken' });
        return;
      }
      if (!tooLarge) {
        size += data.length;
        if (size > MAX_ENTRY_BYTES) {
          tooLarge = true;
          parts.length = 0;
          if (POSTS_CSV.test(file.name)) throw new Refused({ ok: false, status: 413, code: 'payload_too_large', message: `posts.csv is larger than ${MAX_ENTRY_BYTES / (1024 * 1024)} MB: this is not a Substack export.` });
        } else parts.push(data);
      }
      if (final) this.done.push(tooLarge ? { name: file.name, text: null, problem: `it is larger than ${MAX_ENTRY_BYTES / (1024 * 1024)} MB` } : { name: file.name, text: decode(parts) });
    };
    try {
      file.start();
    } catch {
      this.done.push({ name: file.name, text: null, problem: `its compression method (${file.compression}) is not one a zip tool uses by default` });
    }
  }

  /** Handles the entries completed by the last push, in zip order. */
  private drain(): void {
    const done = this.done;
    this.done = [];
    for (const { name, text, problem } of done) {
      if (POSTS_CSV.test(name)) {
        if (text === null) throw new Refused({ ok: false, status: 400, code: 'invalid_zip', message: 'posts.csv in the zip could not be read.' });
        this.readPostsCsv(text);
        continue;
      }
      const id = POST_HTML.exec(name)![2];
      if (this.seenHtml.has(id)) continue;
      this.seenHtml.add(id);
      if (this.meta) this.readPost(id, text, problem);
      else if (text !== null) {
        this.waitingChars += text.length;
        if (this.waitingChars > MAX_WAITING_CHARS) {
          throw new Refused({ ok: false, status: 413, code: 'archive_too_large', message: `The zip holds more than ${MAX_WAITING_CHARS / (1024 * 1024)} MB of posts before its posts.csv: send the export zip as Substack gives it (posts.csv first), or in parts.` });
        }
        this.waiting.set(id, text);
      } else this.waiting.set(id, `\0${problem ?? 'it could not be read'}`);
    }
  }

  private readPostsCsv(text: string): void {
    const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim().toLowerCase() });
    if (!parsed.meta.fields?.includes('post_id')) {
      throw new Refused({ ok: false, status: 400, code: 'invalid_posts_csv', message: 'posts.csv has no post_id column: the header should be post_id, post_date, is_published, email_sent_at, type, audience, title, subtitle, podcast_url.' });
    }
    this.meta = new Map();
    parsed.data.forEach((row, i) => {
      const judged = judgeSubstackRow(row, i + 2);
      if (judged.kind === 'skip') this.out.add({ id: judged.id, reason: judged.reason });
      else if (this.meta!.has(judged.meta.id)) this.out.add({ id: judged.meta.id, reason: 'posts.csv lists this post twice; the first row is used.' });
      else this.meta!.set(judged.meta.id, judged.meta);
    });
    // Posts whose HTML came first; posts.csv rows that were skipped drop theirs.
    for (const [id, html] of this.waiting) this.readPost(id, html.startsWith('\0') ? null : html, html.slice(1));
    this.waiting = new Map();
    this.waitingChars = 0;
  }

  private readPost(id: string, html: string | null, problem = 'it could not be read'): void {
    const meta = this.meta!.get(id);
    if (!meta) return; // not a post to import (skipped above), or a file posts.csv does not list
    this.out.add(html === null ? { id, reason: `posts/${id}.html could not be read: ${problem}.` } : substackPost(meta, html));
  }
}

/** A Ghost JSON export, post by post. */
class GhostJson {
  private readonly parser = new JSONParser({ paths: ['$.db.*.data.posts.*', '$.data.posts.*'], keepStack: false });
  private posts = 0;

  constructor(
    private readonly out: Collector,
    private readonly siteUrl: string | null,
  ) {
    this.parser.onValue = ({ value }) => {
      this.posts++;
      this.out.add(ghostPost(value, this.siteUrl));
    };
  }

  push(chunk: Uint8Array): void {
    try {
      this.parser.write(chunk);
    } catch (error) {
      if (error instanceof Refused) throw error;
      throw new Refused({ ok: false, status: 400, code: 'invalid_json', message: `The Ghost export is not valid JSON (${(error as Error).message.slice(0, 200)}): send the file exactly as Ghost exports it.` });
    }
  }

  end(): void {
    try {
      // The parser ends by itself when the top-level value closes; a file cut short has not.
      if (!this.parser.isEnded) this.parser.end();
    } catch (error) {
      throw new Refused({ ok: false, status: 400, code: 'invalid_json', message: `The Ghost export ends before its JSON does (${(error as Error).message.slice(0, 200)}): send the whole file again.` });
    }
    if (this.posts === 0) {
      throw new Refused({ ok: false, status: 400, code: 'not_a_ghost_export', message: 'The JSON has no posts at db[0].data.posts: send the file from Ghost Admin → Settings → Advanced → Import/Export → "Export content".' });
    }
  }
}

function decode(parts: Uint8Array[]): string {
  const decoder = new TextDecoder('utf-8');
  return parts.map((p, i) => decoder.decode(p, { stream: i < parts.length - 1 })).join('');
}

/** D1 calls in flight at once while storing (a Worker may hold 6 connections; D1 serialises writes anyway). */
const STORE_CONCURRENCY = 6;

async function store(db: Db, format: ArchiveFormat, posts: ArchivePost[], skipped: Skip[], dryRun: boolean): Promise<ArchiveReport> {
  // A slug twice in one file: the first (oldest) post has it, the later one is skipped like a re-import.
  const seen = new Set<string>();
  const unique: ArchivePost[] = [];
  const taken = new Set<ArchivePost>();
  for (const post of posts) {
    if (seen.has(post.slug)) taken.add(post);
    else unique.push(post);
    seen.add(post.slug);
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(STORE_CONCURRENCY, unique.length) }, async () => {
      while (next < unique.length) {
        const post = unique[next++];
        const isTaken = dryRun
          ? await slugTaken(db, post.slug)
          : (await recordImportedIssue(db, { slug: post.slug, title: post.title, date: post.date, summary: post.summary, sentAt: post.sentAt, from: format, body: { markdown: post.markdown } })) === 'slug_taken';
        if (isTaken) taken.add(post);
      }
    }),
  );
  const issues: ArchiveReport['issues'] = [];
  for (const post of posts) {
    if (taken.has(post)) skipped.push({ id: post.id, reason: `The slug "${post.slug}" is taken: already in the archive (imported before), or an article has it.` });
    else issues.push({ slug: post.slug, title: post.title, date: post.date });
  }
  const report: ArchiveReport = { format, imported: issues.length, skipped, issues };
  if (dryRun) report.dryRun = true;
  return report;
}
