// Resend tags on every email, so the provider's own logs and webhooks can be filtered by what an
// email is (and, for an issue, which article). Resend allows ASCII letters, digits, `_` and `-` in
// names and values, at most 256 characters: kinds are fixed words, slugs are checked at build
// (src/issues/article.ts) and ids are digits, so every tag made here is valid. Resend returns them in
// its webhooks (`data.tags`), which is how an event finds its delivery record (`send`, `reader`).

export type EmailKind = 'issue' | 'confirmation' | 'welcome' | 'email_change' | 'reader_link' | 'test';

/** `kind`; for an issue or its test copy the article's `slug`; for an issue its `send` and `reader` ids. */
export function emailTags(kind: EmailKind, slug?: string, delivery?: { sendId: number; subscriberId: number }): Record<string, string> {
  return {
    kind,
    ...(slug ? { slug } : {}),
    ...(delivery ? { send: String(delivery.sendId), reader: String(delivery.subscriberId) } : {}),
  };
}
