// The owner's credential, ADMIN_TOKEN, compared in constant time: the dashboard's sign-in and the
// API's bearer check (src/api/auth.ts) both use sameSecret. It hashes both sides with SHA-256 and
// compares the digests with crypto.subtle.timingSafeEqual, so neither the token's content nor its
// length leaks through timing.

/** Constant-time equality of two strings of any length (compares their SHA-256 digests). */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([crypto.subtle.digest('SHA-256', encoder.encode(a)), crypto.subtle.digest('SHA-256', encoder.encode(b))]);
  return crypto.subtle.timingSafeEqual(da, db);
}
