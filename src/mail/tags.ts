// Resend tags on every email, so the provider's own logs and webhooks can be filtered by what an
// email is (and, for an issue, which article). Resend allows ASCII letters, digits, `_` and `-` in
// names and values, at most 256 characters: kinds are fixed words and slugs are checked at build
// (src/issues/article.ts), so every tag made here is valid.

export interface EmailTag {
  name: string;
  value: string;
}

export type EmailKind = 'issue' | 'confirmation' | 'welcome' | 'test';

/** `kind`, and for an issue (or its test copy) the article's `slug`. */
export function emailTags(kind: EmailKind, slug?: string): EmailTag[] {
  return slug ? [{ name: 'kind', value: kind }, { name: 'slug', value: slug }] : [{ name: 'kind', value: kind }];
}
