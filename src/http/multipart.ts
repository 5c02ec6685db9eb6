// Reading a multipart/form-data upload as it arrives: the small fields in front of the file into
// memory, then the file itself as a stream, so a 64 MB CSV is never held whole (Hono's parseBody and
// request.formData() buffer every part; the multipart libraries of the registry buffer each part too).
//
// Browsers send the parts in the order of the form's controls, so a form that puts its fields
// (the CSRF token first) before the file input lets the caller check them before reading a byte of
// the file. Parts after the file are never read. RFC 7578: each part is `--boundary CRLF headers
// CRLF CRLF content`, and content ends at `CRLF --boundary`.

export type MultipartUpload = {
  ok: true;
  /** The text fields before the file, by name (the first of a repeated name). */
  fields: Record<string, string>;
  /** The file field, if the form has one: its name as the browser gave it, and its bytes as they arrive. */
  file: { filename: string; stream: ReadableStream<Uint8Array> } | null;
  /** Stops reading the rest of the body (after the file, or when the caller gives up). */
  cancel(): Promise<void>;
};
export type MultipartProblem = { ok: false; status: 400 | 413 | 415; code: string; message: string };

/** A field or header block past this is not a form of ours: refused rather than held. */
const MAX_FIELD_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 8 * 1024;
const MAX_FIELDS = 20;

export function multipartBoundary(contentType: string | undefined): string | null {
  const [type, ...params] = (contentType ?? '').split(';').map((p) => p.trim());
  if (type.toLowerCase() !== 'multipart/form-data') return null;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (p.slice(0, eq).trim().toLowerCase() === 'boundary') {
      const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      // RFC 2046: 1 to 70 characters.
      return value.length >= 1 && value.length <= 70 ? value : null;
    }
  }
  return null;
}

const bad = (message: string): MultipartProblem => ({ ok: false, status: 400, code: 'invalid_form', message });

/** Reads the fields up to the file field `fileField`; the file's bytes are left to the returned stream. */
export async function readUpload(body: ReadableStream<Uint8Array> | null, contentType: string | undefined, fileField: string): Promise<MultipartUpload | MultipartProblem> {
  const boundary = multipartBoundary(contentType);
  if (!boundary) return { ok: false, status: 415, code: 'unsupported_media_type', message: 'Send the upload as multipart/form-data (a form with enctype="multipart/form-data").' };
  if (!body) return bad('The upload is empty: choose a file and send the form again.');
  const bytes = new ByteReader(body);
  const encoder = new TextEncoder();
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const fields: Record<string, string> = {};
  const cancel = () => bytes.cancel();
  try {
    // The preamble, then the first boundary (which has no CRLF before it when it opens the body).
    if (!(await bytes.skipPast(encoder.encode(`--${boundary}`), MAX_FIELD_BYTES))) return bad('The form data could not be read: no part starts where it should.');
    for (let count = 0; count < MAX_FIELDS; count++) {
      const after = await bytes.take(2);
      if (after === null) return bad('The form data ends before its last boundary.');
      if (after[0] === 0x2d && after[1] === 0x2d) return { ok: true, fields, file: null, cancel }; // `--`: the end
      const head = await bytes.readUntil(encoder.encode('\r\n\r\n'), MAX_HEADER_BYTES);
      if (head === null) return bad('A part of the form has headers that never end.');
      const disposition = partDisposition(new TextDecoder().decode(head));
      if (!disposition) return bad('A part of the form has no name.');
      if (disposition.name === fileField) {
        return { ok: true, fields, file: { filename: disposition.filename ?? '', stream: bytes.streamUntil(delimiter) }, cancel };
      }
      const value = await bytes.readUntil(delimiter, MAX_FIELD_BYTES);
      if (value === null) return { ok: false, status: 413, code: 'payload_too_large', message: `The form field "${disposition.name.slice(0, 40)}" is larger than ${MAX_FIELD_BYTES / 1024} KB, or never ends.` };
      if (!(disposition.name in fields)) fields[disposition.name] = new TextDecoder().decode(value);
    }
    return bad(`The form has more than ${MAX_FIELDS} fields before the file.`);
  } catch {
    return bad('The upload was cut off before the end of the form. Send it again.');
  }
}

function partDisposition(head: string): { name: string; filename: string | null } | null {
  const line = head.split('\r\n').find((l) => /^content-disposition\s*:/i.test(l));
  if (!line) return null;
  const param = (key: string) => new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(line)?.[1] ?? new RegExp(`;\\s*${key}=([^;\\s]+)`, 'i').exec(line)?.[1] ?? null;
  const name = param('name');
  return name === null ? null : { name, filename: param('filename') };
}

/** A byte stream read on demand: a buffer of what has arrived and not been used yet. */
class ByteReader {
  private buffer = new Uint8Array(0);
  private done = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  async cancel(): Promise<void> {
    this.buffer = new Uint8Array(0);
    if (!this.done) await this.reader.cancel().catch(() => {});
    this.done = true;
  }

  private async more(): Promise<boolean> {
    if (this.done) return false;
    const { value, done } = await this.reader.read();
    if (done) {
      this.done = true;
      return false;
    }
    const joined = new Uint8Array(this.buffer.length + value.length);
    joined.set(this.buffer);
    joined.set(value, this.buffer.length);
    this.buffer = joined;
    return true;
  }

  async take(n: number): Promise<Uint8Array | null> {
    while (this.buffer.length < n) if (!(await this.more())) return null;
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** The bytes before `needle` (consumed with it), or null past `limit` bytes or at the end. */
  async readUntil(needle: Uint8Array, limit: number): Promise<Uint8Array | null> {
    for (;;) {
      const at = indexOf(this.buffer, needle);
      if (at >= 0) {
        const out = this.buffer.slice(0, at);
        this.buffer = this.buffer.subarray(at + needle.length);
        return out;
      }
      if (this.buffer.length > limit + needle.length || !(await this.more())) return null;
    }
  }

  async skipPast(needle: Uint8Array, limit: number): Promise<boolean> {
    return (await this.readUntil(needle, limit)) !== null;
  }

  /**
   * The bytes up to `needle` as a stream, handed on as they arrive: all but the last needle-length
   * bytes of what is buffered (the needle may be arriving split across pieces).
   */
  streamUntil(needle: Uint8Array): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        for (;;) {
          const at = indexOf(this.buffer, needle);
          if (at >= 0) {
            if (at > 0) controller.enqueue(this.buffer.slice(0, at));
            this.buffer = this.buffer.subarray(at + needle.length);
            controller.close();
            return;
          }
          const safe = this.buffer.length - (needle.length - 1);
          if (safe > 0) {
            controller.enqueue(this.buffer.slice(0, safe));
            this.buffer = this.buffer.subarray(safe);
            return;
          }
          if (!(await this.more())) {
            // The body ended inside the file: the upload was cut off.
            controller.error(new Error('The upload ended before the file did.'));
            return;
          }
        }
      },
      cancel: () => this.cancel(),
    });
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0];
  for (let i = haystack.indexOf(first); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
