// Images for articles through the Worker and its local R2: the type read from the bytes, width and
// height from the header, content-addressed names, the 5 MB limit, and immutable caching.
import { describe, expect, it } from 'vitest';
import { sniffImage } from '../src/media/image';
import { admin } from './support/admin';
import { call } from './support/helpers';

const bytes = (...parts: (number[] | string)[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((ch) => ch.charCodeAt(0)) : p)));
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number) => [n & 255, (n >>> 8) & 255];
const le24 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255];

/** A PNG's signature and IHDR chunk: enough for any reader of the header. */
const png = (w: number, h: number, padding = 0) =>
  bytes([0x89], 'PNG\r\n', [0x1a, 0x0a], be32(13), 'IHDR', be32(w), be32(h), [8, 6, 0, 0, 0], [0, 0, 0, 0], new Array(padding).fill(0));
const gif = (w: number, h: number) => bytes('GIF89a', le16(w), le16(h), [0, 0, 0], ';');
/** A baseline JPEG's markers: SOI, a JFIF APP0 segment, an SOF0 segment with the size, EOI. */
const jpeg = (w: number, h: number) => bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16], 'JFIF', [0, 1, 1, 0, 0, 1, 0, 1, 0, 0], [0xff, 0xc0, 0, 17, 8], [(h >> 8) & 255, h & 255, (w >> 8) & 255, w & 255], [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1], [0xff, 0xd9]);
/** A lossless WebP (VP8L) header. */
const webp = (w: number, h: number) => {
  const bits = (w - 1) | ((h - 1) << 14);
  return bytes('RIFF', [26, 0, 0, 0], 'WEBPVP8L', [13, 0, 0, 0, 0x2f], [bits & 255, (bits >>> 8) & 255, (bits >>> 16) & 255, (bits >>> 24) & 255], [0, 0, 0, 0, 0, 0]);
};

const upload = (body: Uint8Array | string, type: string) => admin('/api/media', { method: 'POST', body, headers: { 'content-type': type } });

describe('reading an image from its bytes', () => {
  it('knows PNG, GIF, JPEG and WebP with their sizes, and nothing else', () => {
    expect(sniffImage(png(640, 480))).toMatchObject({ ok: true, mime: 'image/png', width: 640, height: 480 });
    expect(sniffImage(gif(3, 5))).toMatchObject({ ok: true, mime: 'image/gif', width: 3, height: 5 });
    expect(sniffImage(jpeg(1200, 800))).toMatchObject({ ok: true, mime: 'image/jpeg', ext: 'jpg', width: 1200, height: 800 });
    expect(sniffImage(webp(300, 200))).toMatchObject({ ok: true, mime: 'image/webp', width: 300, height: 200 });
    expect(sniffImage(bytes('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'))).toMatchObject({ ok: false });
    expect(sniffImage(bytes('BM', le24(0), [0]))).toMatchObject({ ok: false });
    expect(sniffImage(bytes('not an image at all'))).toMatchObject({ ok: false });
  });
});

describe('POST /api/media and GET /media/:name', () => {
  it('stores an image under its content address and serves it, immutable', async () => {
    const image = png(640, 480);
    const response = await upload(image, 'image/png');
    expect(response.status).toBe(201);
    const body = (await response.json()) as { url: string; width: number; height: number };
    expect(body).toMatchObject({ width: 640, height: 480 });
    expect(body.url).toMatch(/^http:\/\/localhost:8787\/media\/[0-9a-f]{64}\.png$/);
    // The same bytes again: the same address.
    expect(((await (await upload(image, 'image/png')).json()) as { url: string }).url).toBe(body.url);

    const served = await call(new URL(body.url).pathname);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(image);
    const etag = served.headers.get('etag')!;
    expect((await call(new URL(body.url).pathname, { headers: { 'if-none-match': etag } })).status).toBe(304);

    for (const [bytesOf, type, ext] of [[gif(3, 5), 'image/gif', 'gif'], [jpeg(1200, 800), 'image/jpeg', 'jpg'], [webp(300, 200), 'image/webp', 'webp']] as const) {
      const r = await upload(bytesOf, type);
      expect(r.status).toBe(201);
      expect(((await r.json()) as { url: string }).url).toMatch(new RegExp(`\\.${ext}$`));
    }
  });

  it('trusts the bytes, not the header: a mismatch or a non-image is 422, another type 415', async () => {
    const mismatch = await upload(gif(3, 5), 'image/png');
    expect(mismatch.status).toBe(422);
    expect(await mismatch.json()).toMatchObject({ error: { code: 'invalid_image', message: expect.stringMatching(/image\/gif/) } });
    expect((await upload('<script>alert(1)</script>', 'image/png')).status).toBe(422);
    expect((await upload('<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml')).status).toBe(415);
    expect((await upload(png(1, 1), 'text/html')).status).toBe(415);
    expect((await upload(new Uint8Array(0), 'image/png')).status).toBe(400);
  });

  it('refuses more than 5 MB (413), anyone without the token (401), and unknown names (404)', async () => {
    expect((await upload(png(10, 10, 5 * 1024 * 1024), 'image/png')).status).toBe(413);
    expect((await upload(png(10, 10, 5 * 1024 * 1024 - 100), 'image/png')).status).toBe(201);
    expect((await call('/api/media', { method: 'POST', body: png(1, 1), headers: { 'content-type': 'image/png' } })).status).toBe(401);
    expect((await call(`/media/${'0'.repeat(64)}.png`)).status).toBe(404);
    expect((await call('/media/../../etc/passwd')).status).toBe(404);
    expect((await call('/media/abc.svg')).status).toBe(404);
  });
});
