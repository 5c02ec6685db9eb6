// base64url (RFC 4648 §5, no padding), written once for the link tokens, the dashboard's session
// cookie and the search cursor.

export function toBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  let binary = '';
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Any base64url text, or null if it is not. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Exactly the 32 bytes of an HMAC-SHA256, canonically encoded, or null. 43 characters carry 258 bits,
 * so the last one must leave its 2 spare bits zero, else `…A` and `…B` would decode alike and a
 * changed link or cookie would still verify.
 */
export function fromCanonicalMac(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(text)) return null;
  return fromBase64Url(text);
}
