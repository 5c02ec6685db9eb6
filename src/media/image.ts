// What an uploaded image is, read from its bytes alone (never from the Content-Type the client
// sends): its type, by the magic numbers image-size knows, and its width and height, from its
// header. Only the four types every mail client shows are accepted; SVG in particular never is (it
// can carry script, and most mail clients do not show it). Plain functions of bytes.
import { imageSize } from 'image-size';

export const IMAGE_TYPES = {
  png: { mime: 'image/png', ext: 'png' },
  jpg: { mime: 'image/jpeg', ext: 'jpg' },
  gif: { mime: 'image/gif', ext: 'gif' },
  webp: { mime: 'image/webp', ext: 'webp' },
} as const;
export type ImageKind = keyof typeof IMAGE_TYPES;
export const ACCEPTED_MIME = Object.values(IMAGE_TYPES).map((t) => t.mime);

/** 5 MB: generous for a picture in an email, which readers download on a phone. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export type Sniffed = { ok: true; kind: ImageKind; mime: string; ext: string; width: number; height: number } | { ok: false; message: string };

export function sniffImage(bytes: Uint8Array): Sniffed {
  let info: ReturnType<typeof imageSize>;
  try {
    info = imageSize(bytes);
  } catch {
    return { ok: false, message: 'These bytes are not a PNG, JPEG, GIF or WebP image (or the file is cut short).' };
  }
  const kind = info.type as ImageKind | undefined;
  if (!kind || !(kind in IMAGE_TYPES)) return { ok: false, message: `This is a${/^[aeiou]/.test(info.type ?? '') ? 'n' : ''} ${info.type ?? 'unknown'} image; upload PNG, JPEG, GIF or WebP, which every mail client shows.` };
  if (!info.width || !info.height) return { ok: false, message: 'The image header gives no width and height.' };
  // EXIF orientations 5-8 turn a JPEG a quarter: what readers see is the other way round.
  const turned = (info.orientation ?? 1) >= 5;
  return { ok: true, kind, ...IMAGE_TYPES[kind], width: turned ? info.height : info.width, height: turned ? info.width : info.height };
}

/** The content-addressed name: the SHA-256 of the bytes, so one picture is stored once and never changes. */
export async function mediaName(bytes: Uint8Array, ext: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return `${[...digest].map((b) => b.toString(16).padStart(2, '0')).join('')}.${ext}`;
}

export const MEDIA_NAME = /^[0-9a-f]{64}\.(png|jpg|gif|webp)$/;
