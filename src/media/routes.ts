// Images for articles, in R2 (the MEDIA binding; local R2 under `npm run dev` and in the tests):
//   POST /api/media     (admin) an image body: 201 {"url", "width", "height"}
//   GET  /media/:name   (public) the image, cached as immutable
// Names are content addresses (SHA-256 of the bytes + the type's extension), so a name always means
// the same bytes: caches may keep it forever, an upload repeated stores nothing new, and nobody can
// replace a picture already in a sent email. The type stored and served is the one read from the
// bytes (image.ts), and `nosniff` on every answer keeps browsers to it. Articles use the absolute
// URL (PUBLIC_URL), so the email checks (absolute https:// images) hold for them too.
import { Hono } from 'hono';
import { apiRoute, asIs, createApiRouter, json, z } from '../api/openapi';
import { limitBody } from '../http/middleware';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { ACCEPTED_MIME, MAX_IMAGE_BYTES, MEDIA_NAME, mediaName, sniffImage } from './image';

/** The admin upload (mounted under /api, behind the bearer token). */
export const mediaUploadRoutes = createApiRouter();
/** The public images. */
export const mediaRoutes = new Hono<AppEnv>();

const IMMUTABLE = 'public, max-age=31536000, immutable';

const IMAGE_BODY = { type: 'string', format: 'binary' } as const;
mediaUploadRoutes.use('/api/media', limitBody(MAX_IMAGE_BYTES));
mediaUploadRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/media',
    scope: 'issues:write',
    tags: ['Issues'],
    summary: 'Upload an image for articles (png, jpeg, gif, webp; at most 5 MB)',
    request: { body: { content: Object.fromEntries(ACCEPTED_MIME.map((type) => [type, { schema: IMAGE_BODY }])), required: true } },
    responses: {
      201: json(z.object({ url: z.string().openapi({ format: 'uri' }), width: z.number().int(), height: z.number().int() }).openapi('Image'), 'Stored (or already there: names are content addresses)'),
      422: { description: 'The bytes are not an image of the declared type (`invalid_image`)', content: { 'application/json': { schema: z.object({ error: z.object({ code: z.string(), message: z.string() }) }) } } },
    },
  }),
  asIs(async (c) => {
    const stored = await storeImage(c.env.MEDIA, c.get('config').publicUrl, new Uint8Array(await c.req.arrayBuffer()), c.req.header('content-type'));
    if (!stored.ok) return fail(c, stored.status, stored.code, stored.message);
    return c.json(stored.image, 201);
  }),
);

export type StoredImage = { ok: true; image: { url: string; width: number; height: number } } | { ok: false; status: 400 | 413 | 415 | 422; code: string; message: string };

/**
 * Checks and stores one image (the API's upload and the editor's): the declared type must be one of
 * the four, the bytes must be an image of that type, at most MAX_IMAGE_BYTES. Stored once per content.
 */
export async function storeImage(bucket: R2Bucket, publicUrl: string, bytes: Uint8Array, contentType: string | undefined): Promise<StoredImage> {
  const declared = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_MIME.includes(declared as (typeof ACCEPTED_MIME)[number])) {
    return { ok: false, status: 415, code: 'unsupported_media_type', message: `Send the image itself as the body, with Content-Type ${ACCEPTED_MIME.join(', ')} (at most ${MAX_IMAGE_BYTES / 1024 / 1024} MB).` };
  }
  if (bytes.length === 0) return { ok: false, status: 400, code: 'empty_body', message: 'The body is empty: send the image bytes.' };
  if (bytes.length > MAX_IMAGE_BYTES) return { ok: false, status: 413, code: 'payload_too_large', message: `The image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB: make it smaller (an email needs far less).` };
  const image = sniffImage(bytes);
  if (!image.ok) return { ok: false, status: 422, code: 'invalid_image', message: image.message };
  if (image.mime !== declared) return { ok: false, status: 422, code: 'invalid_image', message: `The body says ${declared}, but its bytes are ${image.mime}: send it as ${image.mime}.` };
  const name = await mediaName(bytes, image.ext);
  // Content-addressed: if the name is there, the same bytes are.
  if (!(await bucket.head(name))) {
    await bucket.put(name, bytes, {
      httpMetadata: { contentType: image.mime, cacheControl: IMMUTABLE },
      customMetadata: { width: String(image.width), height: String(image.height) },
    });
  }
  return { ok: true, image: { url: `${publicUrl}/media/${name}`, width: image.width, height: image.height } };
}

mediaRoutes.get('/media/:name', async (c) => {
  const name = c.req.param('name');
  if (!MEDIA_NAME.test(name)) return fail(c, 404, 'not_found', 'There is no image at this address.', 'Not found');
  const etag = `"${name.slice(0, 64)}"`;
  // The bytes behind a name never change: a cached copy is always right.
  if (c.req.header('if-none-match') === etag) return c.body(null, 304, { ETag: etag, 'Cache-Control': IMMUTABLE });
  const object = await c.env.MEDIA.get(name);
  if (!object) return fail(c, 404, 'not_found', 'There is no image at this address.', 'Not found');
  return c.body(object.body, 200, {
    'Content-Type': object.httpMetadata?.contentType ?? 'application/octet-stream',
    'Content-Length': String(object.size),
    'Cache-Control': IMMUTABLE,
    ETag: etag,
  });
});
