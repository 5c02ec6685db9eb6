// The three snippets a writer pastes into their own site, filled in for this service: a plain form,
// the same form with /embed.js, and an iframe of /embed. One home: the dashboard shows them
// (/admin/signup-form) and the README prints them for an example service.
import type { Config } from '../config';
import { EMBED_PATH, EMBED_SCRIPT_PATH } from './origins';

export interface SignupSnippets {
  form: string;
  script: string;
  iframe: string;
}

// The honeypot hides with the `hidden` attribute rather than a style attribute, so it stays hidden
// on a site whose CSP refuses inline styles; the iframe's style is only cosmetic.
const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * `returnTo`: where a plain post comes back to (a page on one of SIGNUP_ORIGINS); null leaves the
 * field out, and readers land on this service's "check your inbox" page instead.
 */
export function signupSnippets(config: Pick<Config, 'publicUrl' | 'newsletterName'>, returnTo: string | null): SignupSnippets {
  const base = config.publicUrl;
  const name = escapeAttribute(config.newsletterName);
  const returnField = returnTo
    ? `\n  <!-- Where readers come back to, with ?subscribe=pending (or invalid, limited) added: a page of your site. -->\n  <input type="hidden" name="return_to" value="${escapeAttribute(returnTo)}">`
    : '';
  const form = `<form method="post" action="${base}/subscribe" data-newsletter>
  <label for="newsletter-email">Email address</label>
  <input id="newsletter-email" type="email" name="email" required autocomplete="email" placeholder="you@example.com">${returnField}
  <!-- A trap for bots: people never see this field. Keep it in, and empty. -->
  <div hidden>
    <label for="newsletter-website">Leave this field empty</label>
    <input id="newsletter-website" type="text" name="website" tabindex="-1" autocomplete="off" value="">
  </div>
  <button type="submit">Subscribe to ${name}</button>
  <p data-newsletter-status role="status" aria-live="polite"></p>
</form>`;
  return {
    form,
    script: `${form}\n<script src="${base}${EMBED_SCRIPT_PATH}" async></script>`,
    iframe: `<iframe src="${base}${EMBED_PATH}" title="Subscribe to ${name}" data-newsletter-embed
  width="100%" height="300" loading="lazy" style="border:0;max-width:36rem"></iframe>
<!-- Optional: fits the frame to its form, however long the messages get. -->
<script src="${base}${EMBED_SCRIPT_PATH}" async></script>`,
  };
}
