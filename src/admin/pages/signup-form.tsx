/** @jsxRuntime automatic */
/** @jsxImportSource react */
// /admin/signup-form: the three ways to put the sign-up form on the writer's own site, filled in for
// this service, each ready to copy; a live preview of /embed; and which sites may carry the form
// (SIGNUP_ORIGINS), with what to add when none may yet.
import type { SignupSnippets } from "../../embed/snippets";
import type { Site } from "../../web/layout";
import { AdminLayout } from "./layout";

export type SignupFormPageProps = {
  site: Site;
  csrf: string;
  nonce: string | null;
  publicUrl: string;
  origins: readonly string[];
  snippets: SignupSnippets;
  turnstile: boolean;
  isLocalDev: boolean;
};

/** Copy buttons: shown only when the script runs (without it the snippets are selectable text). */
export const COPY_SCRIPT = `(() => {
  for (const button of document.querySelectorAll('[data-copy]')) {
    const field = document.getElementById(button.dataset.copy);
    const done = document.getElementById(button.dataset.copy + '-copied');
    if (!field || !done || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(field.value);
        done.textContent = 'Copied.';
      } catch (error) {
        field.select();
        done.textContent = 'Selected: press Ctrl+C (or Cmd+C) to copy.';
      }
    });
  }
})();`;

function Snippet({ id, title, children, code }: { id: string; title: string; children: React.ReactNode; code: string }) {
  const rows = Math.min(18, code.split("\n").length + 1);
  return (
    <section className="panel snippet" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
      <label htmlFor={id}>HTML to paste</label>
      <textarea id={id} className="snippet__code" readOnly rows={rows} spellCheck={false} value={code} />
      <p className="snippet__actions">
        <button type="button" className="button button--secondary" data-copy={id} hidden>
          Copy
        </button>{" "}
        <span id={`${id}-copied`} role="status" aria-live="polite" />
      </p>
    </section>
  );
}

export function SignupFormPage({ site, csrf, nonce, publicUrl, origins, snippets, turnstile, isLocalDev }: SignupFormPageProps) {
  const example = isLocalDev ? "http://localhost:4000" : "https://blog.example.com";
  return (
    <AdminLayout site={site} title="Sign-up form" current="signup-form" csrf={csrf} script={{ source: COPY_SCRIPT, nonce }}>
      <div className="page-head">
        <h1>Sign-up form on your site</h1>
        <p className="muted">Readers subscribe where they already read: your blog, shop or landing page.</p>
      </div>

      <section className="panel" aria-labelledby="origins-title">
        <h2 id="origins-title">Sites that may carry the form</h2>
        {origins.length > 0 ? (
          <>
            <p>
              Besides this service ({new URL(publicUrl).origin}), these origins may post sign-ups and frame the form. Any
              other site is refused.
            </p>
            <ul className="origin-list">
              {origins.map((origin) => (
                <li key={origin}>
                  <code>{origin}</code>
                </li>
              ))}
            </ul>
            <p className="muted">
              To change the list, edit <code>SIGNUP_ORIGINS</code> in <code>[vars]</code> of <code>wrangler.toml</code> and
              deploy.
            </p>
          </>
        ) : (
          <div className="alert" role="note" id="no-origins">
            <p>
              <strong>No other site may carry the form yet.</strong> Until you list your site, the snippets below work only
              on this service's own pages: anywhere else the browser is refused.
            </p>
            <p>
              Add your site's origin (scheme, host and port, nothing after it) to <code>[vars]</code> in{" "}
              <code>wrangler.toml</code>{isLocalDev ? <> (or to <code>.dev.vars</code> while trying it locally)</> : null},
              then {isLocalDev ? "restart npm run dev" : "deploy"}:
            </p>
            <pre className="command">
              <code>{`SIGNUP_ORIGINS = "${example}"`}</code>
            </pre>
            <p>
              Several sites: separate them with commas.{" "}
              {isLocalDev ? "Outside local dev each must start with https://." : "Each must start with https://."}
            </p>
          </div>
        )}
      </section>

      <div className="grid grid--2 signup-grid">
        <div className="stack">
          <Snippet id="snippet-script" title="1. A form with the script (recommended)" code={snippets.script}>
            <p>
              Styled by your site. With the script, readers stay on the page and read the answer under the button
              {turnstile ? "; it also shows the Turnstile check" : ""}. Without JavaScript it still works as a plain form.
            </p>
          </Snippet>
          <Snippet id="snippet-form" title="2. A plain form, no script" code={snippets.form}>
            <p>
              Posts to this service, which sends readers back to the <code>return_to</code> page with{" "}
              <code>?subscribe=pending</code> (or <code>invalid</code>, <code>limited</code>) added; without{" "}
              <code>return_to</code> they see this service's "check your inbox" page.
              {turnstile ? (
                <>
                  {" "}
                  <strong>Turnstile is on</strong>, and it needs a script: use the form with the script or the frame instead.
                </>
              ) : null}
            </p>
          </Snippet>
          <Snippet id="snippet-iframe" title="3. A frame" code={snippets.iframe}>
            <p>
              This service's own compact form, in a frame. Nothing to style; the optional script fits the frame's height
              to the form. It follows the reader's light or dark setting: add <code>?theme=light</code> or{" "}
              <code>?theme=dark</code> to its address to match your site instead.
            </p>
          </Snippet>
        </div>
        <section className="panel" aria-labelledby="preview-title">
          <h2 id="preview-title">Live preview</h2>
          <p className="muted">
            The frame as your readers see it. It is the real form: an address entered here gets a real confirmation email.
          </p>
          <iframe className="signup-preview" src="/embed" title={`Preview: subscribe to ${site.name}`} loading="lazy" />
        </section>
      </div>
    </AdminLayout>
  );
}
