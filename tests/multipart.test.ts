// The streaming multipart reader of the dashboard's upload: fields before the file, the file as a
// stream, however the body is cut into pieces.
import { describe, expect, it } from 'vitest';
import { readUpload } from '../src/http/multipart';

async function encode(form: FormData): Promise<{ bytes: Uint8Array; type: string }> {
  const response = new Response(form);
  return { bytes: new Uint8Array(await response.arrayBuffer()), type: response.headers.get('content-type')! };
}

function piecesOf(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [0, ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length];
  return new ReadableStream({
    start(controller) {
      for (let i = 1; i < points.length; i++) if (points[i] > points[i - 1]) controller.enqueue(bytes.slice(points[i - 1], points[i]));
      controller.close();
    },
  });
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe('reading an upload as it arrives', () => {
  it('gives the fields before the file and the file\'s exact bytes, wherever the body is cut', async () => {
    const form = new FormData();
    form.set('_csrf', 'token-123');
    form.set('status', 'confirmed');
    const content = 'email,name\r\nann@mp.example,"Ann\r\n--not a boundary"\r\n';
    form.set('file', new File([content], 'list.csv', { type: 'text/csv' }));
    form.set('after', 'never read');
    const { bytes, type } = await encode(form);
    for (let a = 1; a < bytes.length; a += 7) {
      for (const b of [a + 1, a + 13, a + 61]) {
        const upload = await readUpload(piecesOf(bytes, [a, b]), type, 'file');
        expect(upload.ok).toBe(true);
        if (!upload.ok) return;
        expect(upload.fields).toEqual({ _csrf: 'token-123', status: 'confirmed' });
        expect(upload.file?.filename).toBe('list.csv');
        expect(await text(upload.file!.stream)).toBe(content);
        await upload.cancel();
      }
    }
  });

  it('refuses what is not a multipart form, or is broken, with a clear 4xx', async () => {
    expect(await readUpload(piecesOf(new TextEncoder().encode('email\n'), []), 'text/csv', 'file')).toMatchObject({ ok: false, status: 415 });
    const type = 'multipart/form-data; boundary=XyZ';
    for (const body of ['no boundary here', '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated', '--XyZ\r\nX-Other: 1\r\n\r\nv\r\n--XyZ--']) {
      const answer = await readUpload(piecesOf(new TextEncoder().encode(body), []), type, 'file');
      expect(answer, body).toMatchObject({ ok: false, status: expect.any(Number), message: expect.any(String) });
    }
    // A form without the file: its fields, and no file.
    const answer = await readUpload(piecesOf(new TextEncoder().encode('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--XyZ--\r\n'), []), type, 'file');
    expect(answer).toMatchObject({ ok: true, fields: { a: 'v' }, file: null });
  });

  it('a file cut off before its end errors the stream instead of passing for the whole file', async () => {
    const form = new FormData();
    form.set('file', new File(['email\nx@cut.example\n'], 'cut.csv'));
    const { bytes, type } = await encode(form);
    const upload = await readUpload(piecesOf(bytes.slice(0, bytes.length - 20), []), type, 'file');
    expect(upload.ok).toBe(true);
    if (!upload.ok) return;
    await expect(text(upload.file!.stream)).rejects.toThrow(/ended before the file/);
  });
});
