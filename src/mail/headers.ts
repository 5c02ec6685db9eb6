// Mail headers a list must carry (RFC 2369 List-Unsubscribe, RFC 8058 one-click, RFC 2919 List-Id).
import type { Config } from '../config';

export function unsubscribeUrl(config: Config, token: string): string {
  return `${config.publicUrl}/unsubscribe?token=${encodeURIComponent(token)}`;
}

export function listHeaders(config: Config, unsubscribe: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribe}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'List-Id': listId(config),
  };
}

/** `"The Weekly Letter" <the-weekly-letter.news.example.com>`: stable, ASCII, one line. */
export function listId(config: Config): string {
  const host = new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, '');
  const slug = config.newsletterName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'newsletter';
  const phrase = config.newsletterName.replace(/[\r\n"\\]/g, '').trim();
  return `"${phrase}" <${slug}.${host}>`;
}
