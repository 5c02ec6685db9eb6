// Cloudflare Turnstile, verified server-side (siteverify) when both keys are configured.
import type { Config } from '../config';

export async function passesTurnstile(config: Config, token: unknown, ip: string | undefined): Promise<boolean> {
  if (!config.turnstile) return true;
  if (typeof token !== 'string' || !token || token.length > 2048) return false;
  const form = new FormData();
  form.set('secret', config.turnstile.secretKey);
  form.set('response', token);
  if (ip) form.set('remoteip', ip);
  try {
    const response = await fetch(config.turnstile.verifyUrl, { method: 'POST', body: form });
    const outcome = (await response.json()) as { success?: boolean };
    return outcome.success === true; // siteverify refuses a token used before: single use
  } catch (error) {
    console.error(`turnstile: siteverify failed: ${(error as Error).message}`);
    return false;
  }
}
