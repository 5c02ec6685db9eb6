// An issue is rendered once per send (React Email), with placeholders where each recipient's
// unsubscribe and preferences tokens go; filling them in is a string replace, not a render.
import { renderIssueEmail } from '../../emails/render';
import type { Config } from '../config';
import { listHeaders, unsubscribeUrl } from '../mail/headers';
import type { OutgoingEmail } from '../mail/transport';
import { preferencesUrl } from '../preferences/link';
import type { Article } from './article';

/** Base64url never produces this, so it cannot collide with real content of a token. */
export const TOKEN_PLACEHOLDER = '__UNSUBSCRIBE_TOKEN__';
export const PREFERENCES_PLACEHOLDER = '__PREFERENCES_TOKEN__';

export interface IssueTemplate {
  subject: string;
  html: string;
  text: string;
}

export async function renderIssueTemplate(config: Config, article: Article): Promise<IssueTemplate> {
  const rendered = await renderIssueEmail({
    newsletterName: config.newsletterName,
    siteUrl: config.publicUrl,
    title: article.title,
    summary: article.summary,
    date: article.date,
    markdown: article.markdown,
    archiveUrl: `${config.publicUrl}/archive/${article.slug}`,
    unsubscribeUrl: unsubscribeUrl(config, TOKEN_PLACEHOLDER),
    postalAddress: config.postalAddress,
    preferencesUrl: preferencesUrl(config, PREFERENCES_PLACEHOLDER),
  });
  return { subject: article.title, html: rendered.html, text: rendered.text };
}

/** One reader's own links: leaving, and their preferences page. */
export interface ReaderTokens {
  unsubscribe: string;
  preferences: string;
}

/** One recipient's copy of a rendered issue; `tags` come back in the provider's webhooks. */
export function personalize(config: Config, template: IssueTemplate, to: string, tokens: ReaderTokens, tags: Record<string, string>): OutgoingEmail {
  const fill = (s: string) => s.replaceAll(TOKEN_PLACEHOLDER, encodeURIComponent(tokens.unsubscribe)).replaceAll(PREFERENCES_PLACEHOLDER, encodeURIComponent(tokens.preferences));
  return {
    to,
    from: config.fromEmail,
    replyTo: config.replyTo,
    subject: template.subject,
    html: fill(template.html),
    text: fill(template.text),
    headers: listHeaders(config, unsubscribeUrl(config, tokens.unsubscribe)),
    tags,
  };
}
