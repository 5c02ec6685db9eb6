// Cloudflare Turnstile, verified server-side when both keys are configured.
// The widget's token is checked with siteverify (TURNSTILE_VERIFY_URL; Cloudflare's by default)
// together with the client's IP. Siteverify itself makes every token single use: a second
// verification of one token answers `timeout-or-duplicate`, so a solved challenge buys one sign-up.
import type { Config } from '../config';

/** `unavailable`: siteverify could not be asked (network, 5xx, garbage): fail closed, but say so. */
export type TurnstileOutcome = 'pass' | 'fail' | 'unavailable';

/** The form field the widget fills in (also read from a JSON body). */
export const TURNSTILE_FIELD = 'cf-turnstile-response';
/** Turnstile tokens are at most 2048 characters (Cloudflare docs). */
const MAX_TOKEN = 2048;
const VERIFY_TIMEOUT_MS = 5000;

export async function verifyTurnstile(config: Config, token: unknown, ip: string | undefined): Promise<TurnstileOutcome> {
  if (!config.turnstile) return 'pass';
  if (typeof token !== 'string' || !token || token.length > MAX_TOKEN) return 'fail';
  const form = new URLSearchParams({ secret: config.turnstile.secretKey, response: token });
  if (ip) form.set('remoteip', ip);
  let outcome: { success?: unknown; 'error-codes'?: unknown };
  try {
    const response = await fetch(config.turnstile.verifyUrl, {
      method: 'POST',
      body: form,
      signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS),
    });
    if (!response.ok) {
      console.error(`turnstile: siteverify answered ${response.status}`);
      return 'unavailable';
    }
    outcome = await response.json();
  } catch (error) {
    console.error(`turnstile: siteverify failed: ${(error as Error).message}`);
    return 'unavailable';
  }
  if (outcome?.success === true) return 'pass';
  const codes = Array.isArray(outcome?.['error-codes']) ? (outcome['error-codes'] as unknown[]).map(String) : [];
  // Our own secret refused, or Cloudflare's side failing, is not the visitor's fault.
  if (codes.some((code) => code === 'internal-error' || code === 'invalid-input-secret' || code === 'missing-input-secret')) {
    console.error(`turnstile: siteverify refused the request: ${codes.join(', ')}`);
    return 'unavailable';
  }
  return 'fail';
}
