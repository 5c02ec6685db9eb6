// The subscriber CSV, both ways, as plain functions of data (papaparse does the CSV itself).
//
// Export: RFC 4180, every field quoted, CRLF, columns `email,name,status,created_at,confirmed_at`
// (times in ISO 8601 UTC). A cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
// `@`, tab or CR) gets a leading apostrophe, OWASP's advice. So that the round trip is exact, a cell
// that itself starts with an apostrophe gets one too; import removes exactly one apostrophe in front
// of any of those characters. `neutralizeCell` and `restoreCell` are inverses.
//
// Import: a header row naming the columns (any case, any order, extra columns ignored), recognised as
// one of the layouts of sources.ts (our plain `email,name,status`, or another tool's export); BOM, CRLF/LF/CR, quoted fields with commas, quotes and
// line breaks. Each record is reported by the line of the file it starts on (the header is line 1).
// The file is read incrementally (`SubscriberCsvReader`: text in as it arrives, complete records
// out), so an import of any size holds one piece of the file at a time.
import Papa from 'papaparse';
import { EXPECTED_HEADERS, type Layout, recognizeLayout, type Row } from './sources';

export const EXPORT_COLUMNS = ['email', 'name', 'status', 'created_at', 'confirmed_at'] as const;

const FORMULA_START = /^[=+\-@\t\r']/;

export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function restoreCell(value: string): string {
  return value.length > 1 && value[0] === "'" && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

export interface ExportRow {
  email: string;
  name: string | null;
  status: string;
  createdAt: number;
  confirmedAt: number | null;
}

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

/** CSV lines (each ending in CRLF) for the header (exactly the contract's, unquoted), or for a page of rows. */
export function csvHeader(): string {
  return EXPORT_COLUMNS.join(',') + '\r\n';
}

export function csvLines(rows: readonly ExportRow[]): string {
  if (rows.length === 0) return '';
  const data = rows.map((r) => [r.email, r.name ?? '', r.status, iso(r.createdAt), iso(r.confirmedAt)].map(neutralizeCell));
  return Papa.unparse(data, { quotes: true, newline: '\r\n', escapeFormulae: false }) + '\r\n';
}

/** One data record of an import file: its cells (restored) by header name, not yet validated. */
export interface CsvRecord {
  line: number;
  row: Row;
}

/** A record that could not be read (broken quotes, bytes that are not text), with why. */
export interface CsvBroken {
  line: number;
  reason: string;
}

export type CsvItem = ({ kind: 'record' } & CsvRecord) | ({ kind: 'broken' } & CsvBroken);

/** What the file as a whole cannot be: nothing is imported from it. */
export type CsvFailure = { ok: false; code: 'empty_csv' | 'missing_email_column' | 'invalid_encoding'; message: string };

export type CsvStep = { ok: true; items: CsvItem[] } | CsvFailure;

/**
 * Papaparse guesses the line break from the first 1 MB of a text and the delimiter from its first
 * rows. The reader makes those guesses once, from exactly the first SAMPLE_CHARS of the file (waiting
 * for them, or for the end), so how the file arrives in pieces never changes how it is read, and a
 * streamed file is read as the same text parsed in one piece always was.
 */
export const SAMPLE_CHARS = 1024 * 1024;
/**
 * No real record comes near this (an address is at most 254 characters, a name 200). A record still
 * open after it is a quoted field that never closes, which would otherwise swallow the rest of the
 * file into memory: it is reported, and nothing after it is read (a parser that sees the whole file
 * runs that field to the end too).
 */
export const MAX_RECORD_CHARS = 1024 * 1024;
/**
 * Text gathered before the next parse. Network pieces can be a few KB; parsing each on arrival would
 * parse a long unfinished record again for every piece. Waiting for this much, and for at least twice
 * the unfinished part, keeps the work linear in the size of the file.
 */
const PARSE_CHARS = 64 * 1024;
/**
 * The text decoder puts U+FFFD where bytes are not valid in the file's charset: such a cell is not
 * what the file meant. (A real U+FFFD in a name is itself the trace of an earlier broken conversion.)
 */
export const UNDECODABLE = '\uFFFD';

/**
 * Reads an import file piece by piece: `push` each piece of text as it arrives, then `end`. Each call
 * returns the records completed by that piece, in file order, each with the line it starts on. A
 * problem with the file as a whole (empty, no header, a header that is not text) comes back as the
 * first failure, before any record; after it, and once `stopped`, further text is ignored.
 */
export class SubscriberCsvReader {
  /** True once the reader will take no more text (a failure, or a record that never ends). */
  stopped = false;
  /** Text not yet parsed into complete records: at most one record, or the first sample. */
  private pending = '';
  /** Parse again once `pending` is this long (see PARSE_CHARS). */
  private parseAt: number;
  private started = false;
  private sawText = false;
  private parser: Papa.Parser | null = null;
  private breakChar = '\n';
  private line = 1;
  /** The header's names (trimmed, lower-cased) and what the file is, once the header is read. */
  private names: string[] | null = null;
  layout: Layout | null = null;
  private failure: CsvFailure | null = null;
  // During one parse call: its text, where its next record starts, and the records completed so far.
  private input = '';
  private start = 0;
  private items: CsvItem[] = [];

  /** `sampleChars`: tests read with a small sample to exercise many pieces; see SAMPLE_CHARS. */
  constructor(private readonly sampleChars = SAMPLE_CHARS) {
    this.parseAt = sampleChars;
  }

  push(text: string): CsvStep {
    if (this.stopped) return this.failure ?? { ok: true, items: [] };
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!this.sawText && /\S/.test(text)) this.sawText = true;
    this.pending += text;
    if (this.pending.length < this.parseAt) return { ok: true, items: [] };
    return this.parse(false);
  }

  end(): CsvStep {
    if (this.stopped) return this.failure ?? { ok: true, items: [] };
    if (!this.sawText) return this.fail('empty_csv', 'The CSV is empty. Send a header row (with an "email" column) and one row per subscriber.');
    const step = this.parse(true);
    this.stopped = true;
    if (!step.ok) return step;
    if (!this.layout) return this.fail('empty_csv', 'The CSV has no header row.');
    return step;
  }

  private parse(final: boolean): CsvStep {
    const input = this.pending;
    this.parser ??= this.makeParser(input);
    this.items = [];
    this.input = input;
    this.start = 0;
    const result = this.parser.parse(input, 0, !final) as Papa.ParseResult<string[]>;
    if (this.failure) return this.failure;
    this.pending = final ? '' : input.slice(result.meta.cursor);
    // (A test's small sample makes the steps small too, so its short files cross many pieces.)
    this.parseAt = Math.max(2 * this.pending.length, this.pending.length + Math.min(PARSE_CHARS, this.sampleChars));
    const items = this.items;
    this.items = [];
    this.input = '';
    if (this.pending.length > MAX_RECORD_CHARS) {
      items.push({
        kind: 'broken',
        line: this.line,
        reason: `This row runs on for more than ${MAX_RECORD_CHARS / (1024 * 1024)} MB, most likely a quoted field that is never closed: check the quotes on this row. Nothing after it was read.`,
      });
      this.pending = '';
      this.stopped = true;
    }
    return { ok: true, items };
  }

  private makeParser(text: string): Papa.Parser {
    // Papaparse's own guesses, made once on the first sample (see SAMPLE_CHARS).
    const guess = Papa.parse<string[]>(text.slice(0, this.sampleChars), { preview: 10 }).meta;
    const newline = guess.linebreak === '\r' || guess.linebreak === '\r\n' ? guess.linebreak : '\n';
    this.breakChar = newline === '\r' ? '\r' : '\n';
    return new Papa.Parser({ delimiter: guess.delimiter || ',', newline, step: (result: Papa.ParseStepResult<string[]>) => this.onRecord(result) });
  }

  private onRecord(result: Papa.ParseStepResult<string[]>): void {
    const end = result.meta.cursor;
    const recordLine = this.line;
    this.line += countOf(this.input, this.breakChar, this.start, end);
    this.start = end;
    // The raw parser hands each step its record wrapped in an array.
    const cells = (result.data as unknown as string[][])[0] ?? [];
    if (cells.every((cell) => cell.trim() === '')) return; // a blank line
    if (!this.layout) {
      if (cells.some((cell) => cell.includes(UNDECODABLE))) {
        this.fail('invalid_encoding', 'The header row is not valid UTF-8 (or the charset the request names): save the CSV as UTF-8 and send it again.');
      } else {
        this.layout = recognizeLayout(cells);
        this.names = cells.map((c) => c.trim().toLowerCase());
        if (!this.layout) this.fail('missing_email_column', EXPECTED_HEADERS);
      }
      if (this.failure) this.parser!.abort();
      return;
    }
    if (result.errors.length > 0) {
      this.items.push({ kind: 'broken', line: recordLine, reason: describeParseError(result.errors[0]) });
      return;
    }
    // The first column of a name wins (an export never repeats one; a hand-made file might).
    const row: Record<string, string> = Object.create(null); // a header named __proto__ is a column too
    this.names!.forEach((name, i) => {
      if (name !== '' && !(name in row)) row[name] = i < cells.length ? restoreCell(cells[i]) : '';
    });
    const record = { line: recordLine, row };
    this.items.push({ kind: 'record', ...record });
  }

  private fail(code: CsvFailure['code'], message: string): CsvFailure {
    this.failure = { ok: false, code, message };
    this.stopped = true;
    return this.failure;
  }
}

export type ParsedCsv = { ok: true; layout: Layout; records: CsvRecord[]; broken: CsvBroken[] } | CsvFailure;

/** A whole file already in memory (small inputs and tests): the same reader, fed once. */
export function parseSubscriberCsv(input: string): ParsedCsv {
  const reader = new SubscriberCsvReader();
  const records: CsvRecord[] = [];
  const broken: CsvBroken[] = [];
  for (const step of [reader.push(input), reader.end()]) {
    if (!step.ok) return step;
    for (const { kind, ...item } of step.items) {
      if (kind === 'record') records.push(item as CsvRecord);
      else broken.push(item as CsvBroken);
    }
  }
  return { ok: true, layout: reader.layout!, records, broken };
}

function countOf(text: string, char: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf(char, from); i !== -1 && i < to; i = text.indexOf(char, i + 1)) n++;
  return n;
}

function describeParseError(error: Papa.ParseError): string {
  if (error.type === 'Quotes') return 'A quoted field is not closed (or has a stray quote): check the quotes on this row.';
  return `This row could not be read as CSV: ${error.message}.`;
}
