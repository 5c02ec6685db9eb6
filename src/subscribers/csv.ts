// The subscriber CSV, both ways, as plain functions of data (papaparse does the CSV itself).
//
// Export: RFC 4180, every field quoted, CRLF, columns `email,name,status,created_at,confirmed_at`
// (times in ISO 8601 UTC). A cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
// `@`, tab or CR) gets a leading apostrophe, OWASP's advice. So that the round trip is exact, a cell
// that itself starts with an apostrophe gets one too; import removes exactly one apostrophe in front
// of any of those characters. `neutralizeCell` and `restoreCell` are inverses.
//
// Import: a header row naming the columns (any case, any order, extra columns ignored), `email`
// required, `name` and `status` optional; BOM, CRLF/LF/CR, quoted fields with commas, quotes and
// line breaks. Each record is reported by the line of the file it starts on (the header is line 1).
import Papa from 'papaparse';

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

/** One data record of an import file, cells restored, not yet validated. */
export interface CsvRecord {
  line: number;
  email: string;
  name: string | null;
  status: string | null;
}

export type ParsedCsv =
  | { ok: true; records: CsvRecord[]; broken: { line: number; reason: string }[] }
  | { ok: false; code: string; message: string };

const EMAIL_HEADERS = new Set(['email', 'e-mail', 'email address', 'email_address', 'emailaddress']);
const NAME_HEADERS = new Set(['name', 'full name', 'full_name', 'fullname']);

export function parseSubscriberCsv(input: string): ParsedCsv {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (!text.trim()) return { ok: false, code: 'empty_csv', message: 'The CSV is empty. Send a header row (with an "email" column) and one row per subscriber.' };

  const records: CsvRecord[] = [];
  const broken: { line: number; reason: string }[] = [];
  let columns: { email: number; name: number; status: number } | null = null;
  let headerProblem: string | null = null;
  // Line numbers: a record starts where the previous one ended (no rows are skipped by the parser).
  let start = 0;
  let line = 1;
  let breakChar = '\n';

  Papa.parse<string[]>(text, {
    header: false,
    skipEmptyLines: false,
    step: (result, parser) => {
      if (result.meta.linebreak === '\r') breakChar = '\r';
      const end = result.meta.cursor;
      const recordLine = line;
      line += countOf(text, breakChar, start, end);
      start = end;
      const cells = result.data;
      if (cells.every((cell) => cell.trim() === '')) return; // a blank line
      if (!columns) {
        columns = findColumns(cells);
        if (!columns) {
          headerProblem = 'The first row must be a header naming the columns, one of them "email" (and optionally "name").';
          parser.abort();
        }
        return;
      }
      if (result.errors.length > 0) {
        broken.push({ line: recordLine, reason: describeParseError(result.errors[0]) });
        return;
      }
      const cell = (i: number) => (i >= 0 && i < cells.length ? restoreCell(cells[i]) : '');
      records.push({
        line: recordLine,
        email: cell(columns.email),
        name: columns.name >= 0 ? cell(columns.name) : null,
        status: columns.status >= 0 ? cell(columns.status) : null,
      });
    },
  });

  if (headerProblem) return { ok: false, code: 'missing_email_column', message: headerProblem };
  if (!columns) return { ok: false, code: 'empty_csv', message: 'The CSV has no header row.' };
  return { ok: true, records, broken };
}

function findColumns(cells: string[]): { email: number; name: number; status: number } | null {
  const names = cells.map((c) => c.trim().toLowerCase());
  const email = names.findIndex((n) => EMAIL_HEADERS.has(n));
  if (email < 0) return null;
  return { email, name: names.findIndex((n) => NAME_HEADERS.has(n)), status: names.indexOf('status') };
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
