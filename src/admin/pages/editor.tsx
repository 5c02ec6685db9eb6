/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The article editor (/admin/issues/new, /admin/issues/:slug/edit): plain form fields and a textarea
// that work without JavaScript (save, preview into the frames, upload an image, schedule), the checks
// with their lines beside the text, and the email as readers get it, light and dark. The small script
// (editor-script.ts) only adds: a live preview and live checks while typing, and images by paste or drop.
import type React from "react";
import type { Site } from "../../web/layout";
import { formatDate } from "../../web/pages";
import { AdminLayout, Badge, Csrf, Flash } from "./layout";

export type EditorField = "slug" | "title" | "date" | "summary" | "body";

export interface EditorProblem {
  field: EditorField;
  /** For the body: its line (1-based) in the textarea. */
  line?: number;
  message: string;
}

export interface EditorFields {
  slug: string;
  title: string;
  date: string;
  summary: string;
  markdown: string;
}

export type EditorPageProps = {
  site: Site;
  csrf: string;
  nonce: string | null;
  script: string;
  /** new: nothing saved yet; edit: an editor article never sent; content: a file in content/ (read-only text); started: its send started (read-only). */
  mode: "new" | "edit" | "content" | "started";
  fields: EditorFields;
  version: number | null;
  status: string;
  /** Its scheduled time, and the same as `YYYY-MM-DDTHH:MM` on the newsletter's clock. */
  schedule: { at: number; text: string; local: string } | null;
  /** When the weekly slot would send it, if it is the next in line. */
  weeklyText: string | null;
  slotText: string;
  timeZone: string;
  problems?: EditorProblem[];
  warnings?: EditorProblem[];
  notice?: string | null;
  error?: string | null;
  /** The frames' first content: the saved article's email, or nothing yet. */
  previewSaved: boolean;
  testTo?: string;
};

const LABEL: Record<EditorField, string> = { slug: "Address (slug)", title: "Title", date: "Date", summary: "Summary", body: "Body" };

function ProblemList({ id, problems, kind }: { id: string; problems: EditorProblem[]; kind: "error" | "warning" }) {
  return (
    <ul id={id} className={kind === "error" ? "checks checks--error" : "checks checks--warning"}>
      {problems.map((p, i) => (
        <li key={i}>
          <a href={p.field === "body" ? "#markdown" : `#${p.field}`}>
            {LABEL[p.field]}
            {p.line !== undefined ? `, line ${p.line}` : ""}
          </a>
          : {p.message}
        </li>
      ))}
    </ul>
  );
}

function fieldError(problems: EditorProblem[], field: EditorField) {
  const found = problems.filter((p) => p.field === field);
  return found.length ? found.map((p) => p.message).join(" ") : null;
}

export function EditorPage(props: EditorPageProps) {
  const { site, csrf, nonce, script, mode, fields, version, status, schedule, weeklyText, slotText, timeZone, notice, error, previewSaved } = props;
  const problems = props.problems ?? [];
  const warnings = props.warnings ?? [];
  const writable = mode === "new" || mode === "edit";
  const base = `/admin/issues/${fields.slug}`;
  const action = mode === "new" ? "/admin/issues/new" : `${base}/edit`;
  const title = mode === "new" ? "New issue" : `Edit: ${fields.title}`;
  const previewSrc = (scheme: string) => (previewSaved ? `${base}/preview?scheme=${scheme}` : "about:blank");

  const input = (field: "slug" | "title", extra: Record<string, unknown> = {}, hint?: React.ReactNode) => {
    const message = fieldError(problems, field);
    const described = [message ? `${field}-error` : null, hint ? `${field}-hint` : null].filter(Boolean).join(" ");
    return (
      <div className="field">
        <label htmlFor={field}>{LABEL[field]}</label>
        <input
          id={field}
          name={field}
          type="text"
          required
          defaultValue={fields[field]}
          aria-invalid={message ? true : undefined}
          aria-describedby={described || undefined}
          {...extra}
        />
        {message ? (
          <p className="field-error" id={`${field}-error`}>
            {message}
          </p>
        ) : null}
        {hint ? (
          <p className="hint" id={`${field}-hint`}>
            {hint}
          </p>
        ) : null}
      </div>
    );
  };

  return (
    <AdminLayout site={site} title={title} current="issues" csrf={csrf} script={writable ? { source: script, nonce } : null}>
      <p>
        <a href={mode === "new" ? "/admin/issues" : base}>← {mode === "new" ? "All issues" : "The issue's page"}</a>
      </p>
      <div className="page-head">
        <h1>{title}</h1>
        {mode === "new" ? null : (
          <p>
            <Badge status={status} /> {schedule ? <span className="muted">goes {schedule.text}</span> : null}
          </p>
        )}
      </div>
      <Flash notice={notice} error={error} />
      {mode === "started" ? (
        <p className="warning">This article has started sending: it can no longer change. Below is the email as readers get it.</p>
      ) : null}
      {mode === "content" ? (
        <p className="warning">
          This article is a file in <code>content/</code>: change its text there (and deploy). You can schedule it and send a test copy here.
        </p>
      ) : null}

      <div className="editor">
        <div className="editor__write">
          {writable ? (
            <form id="editor-form" method="post" action={action} encType="multipart/form-data" noValidate data-check-url="/admin/issues/check" data-media-url="/admin/media" data-csrf={csrf}>
              <Csrf token={csrf} />
              {version !== null ? <input type="hidden" name="version" value={String(version)} /> : null}
              {problems.length > 0 ? (
                <div className="alert" role="alert">
                  <p className="alert__title">
                    {problems.length === 1 ? "One thing to fix" : `${problems.length} things to fix`} before this can be saved:
                  </p>
                  <ProblemList id="checks" problems={problems} kind="error" />
                </div>
              ) : (
                <div id="checks-live" aria-live="polite"></div>
              )}
              {warnings.length > 0 ? (
                <div className="warning">
                  <p>Worth a look (it saves anyway):</p>
                  <ProblemList id="warnings" problems={warnings} kind="warning" />
                </div>
              ) : null}
              {mode === "new" ? (
                input(
                  "slug",
                  { pattern: "[a-z0-9]+(-[a-z0-9]+)*", maxLength: 200, spellCheck: false, autoCapitalize: "none", autoComplete: "off" },
                  <>
                    Lower-case letters, digits and dashes: the issue's address, <code>/archive/your-slug</code>. It cannot change later.
                  </>,
                )
              ) : (
                <input type="hidden" name="slug" value={fields.slug} />
              )}
              {input("title", { maxLength: 200 })}
              <div className="field">
                <label htmlFor="date">Date</label>
                <input
                  id="date"
                  name="date"
                  type="date"
                  required
                  defaultValue={fields.date}
                  aria-invalid={fieldError(problems, "date") ? true : undefined}
                  aria-describedby={fieldError(problems, "date") ? "date-error date-hint" : "date-hint"}
                />
                {fieldError(problems, "date") ? (
                  <p className="field-error" id="date-error">
                    {fieldError(problems, "date")}
                  </p>
                ) : null}
                <p className="hint" id="date-hint">
                  Shown at the top of the email and in the archive. The weekly slot sends an article once its date has come.
                </p>
              </div>
              <div className="field">
                <label htmlFor="summary">Summary</label>
                <textarea
                  id="summary"
                  name="summary"
                  rows={2}
                  maxLength={500}
                  required
                  defaultValue={fields.summary}
                  aria-invalid={fieldError(problems, "summary") ? true : undefined}
                  aria-describedby={fieldError(problems, "summary") ? "summary-error summary-hint" : "summary-hint"}
                />
                {fieldError(problems, "summary") ? (
                  <p className="field-error" id="summary-error">
                    {fieldError(problems, "summary")}
                  </p>
                ) : null}
                <p className="hint" id="summary-hint">
                  One sentence: the preview line in inboxes and the feed.
                </p>
              </div>
              <div className="field">
                <label htmlFor="markdown">Body (Markdown)</label>
                <textarea
                  id="markdown"
                  name="markdown"
                  className="editor__body"
                  rows={22}
                  spellCheck
                  defaultValue={fields.markdown}
                  aria-invalid={fieldError(problems, "body") ? true : undefined}
                  aria-describedby="markdown-hint"
                />
                <p className="hint" id="markdown-hint">
                  Headings with <code>##</code>, <code>**bold**</code>, <code>[a link](https://…)</code>, <code>![what it shows](https://…)</code> for an image. Links and images need full
                  https:// addresses; images need a description. Paste or drop an image here to upload it.
                </p>
              </div>
              <div className="field">
                <label htmlFor="image">
                  Add an image <span className="optional">(PNG, JPEG, GIF or WebP, up to 5 MB)</span>
                </label>
                <input id="image" name="image" type="file" accept="image/png,image/jpeg,image/gif,image/webp" aria-describedby="image-hint" />
                <p className="hint" id="image-hint">
                  "Upload image" stores it and adds it to the end of the body; describe it between the brackets.
                </p>
              </div>
              <div className="button-row editor__actions">
                <button type="submit" name="intent" value="save" className="button">
                  {mode === "new" ? "Save draft" : "Save"}
                </button>
                <button type="submit" name="intent" value="upload" className="button button--secondary" formNoValidate>
                  Upload image
                </button>
                <button type="submit" className="button button--secondary" formAction="/admin/issues/preview?scheme=light" formTarget="preview-light" formNoValidate>
                  Preview
                </button>
                <button type="submit" className="button button--secondary" formAction="/admin/issues/preview?scheme=dark" formTarget="preview-dark" formNoValidate>
                  Preview dark
                </button>
              </div>
            </form>
          ) : (
            <section className="panel" aria-labelledby="text-title">
              <h2 id="text-title">{fields.title}</h2>
              <p className="muted">
                Dated {formatDate(fields.date)}. {fields.summary}
              </p>
              <pre className="command editor__readonly">
                <code>{fields.markdown}</code>
              </pre>
            </section>
          )}

          {mode !== "new" && mode !== "started" ? (
            <>
              <section className="panel" aria-labelledby="schedule-title">
                <h2 id="schedule-title">When it goes</h2>
                <p>
                  {schedule ? (
                    <>
                      Scheduled for <strong>{schedule.text}</strong>.
                    </>
                  ) : weeklyText ? (
                    <>
                      Left alone, the weekly slot ({slotText}) sends it on <strong>{weeklyText}</strong>.
                    </>
                  ) : (
                    <>Left alone, it goes with the weekly slot ({slotText}) when its turn comes.</>
                  )}
                </p>
                <form method="post" action={`${base}/schedule`}>
                  <Csrf token={csrf} />
                  <div className="field">
                    <label htmlFor="send_at">Send at ({timeZone})</label>
                    <input id="send_at" name="send_at" type="datetime-local" required defaultValue={schedule?.local ?? ""} aria-describedby="send-at-hint" />
                    <p className="hint" id="send-at-hint">
                      On the newsletter's clock ({timeZone}); it goes within 5 minutes after.
                    </p>
                  </div>
                  <div className="button-row">
                    <button type="submit" className="button">
                      {schedule ? "Reschedule" : "Schedule"}
                    </button>
                  </div>
                </form>
                {schedule ? (
                  <form method="post" action={`${base}/unschedule`} className="editor__unschedule">
                    <Csrf token={csrf} />
                    <button type="submit" className="button button--secondary">
                      Unschedule (back to the weekly slot)
                    </button>
                  </form>
                ) : null}
              </section>

              <section className="panel" aria-labelledby="test-title">
                <h2 id="test-title">Send a test copy</h2>
                <form method="post" action={`${base}/test`}>
                  <Csrf token={csrf} />
                  <input type="hidden" name="back" value="edit" />
                  <div className="field">
                    <label htmlFor="to">Email address</label>
                    <input id="to" name="to" type="email" required autoComplete="email" spellCheck={false} autoCapitalize="none" maxLength={254} defaultValue={props.testTo ?? ""} />
                    <p className="hint">The saved version, marked [TEST]; nobody else gets it.</p>
                  </div>
                  <button type="submit" className="button button--secondary">
                    Send a test copy
                  </button>
                </form>
              </section>

              {mode === "edit" ? (
                <section className="panel" aria-labelledby="delete-title">
                  <h2 id="delete-title">Delete</h2>
                  <p>A draft that was never sent can be deleted, with its schedule.</p>
                  <a className="button button--danger" href={`${base}/delete`}>
                    Delete this draft…
                  </a>
                </section>
              ) : null}
            </>
          ) : null}
        </div>

        <section className="editor__preview" aria-labelledby="preview-title">
          <h2 id="preview-title">The email as readers get it</h2>
          <p className="hint">{writable ? "Press Preview to see your latest changes (with JavaScript it follows as you type)." : "The saved version."}</p>
          <div className="editor__frames">
            <figure>
              <figcaption>Light</figcaption>
              <iframe name="preview-light" title="Email preview, light" src={previewSrc("light")} loading="lazy" />
            </figure>
            <figure>
              <figcaption>Dark (Apple Mail, Outlook apps)</figcaption>
              <iframe name="preview-dark" title="Email preview, dark" src={previewSrc("dark")} loading="lazy" />
            </figure>
          </div>
        </section>
      </div>
    </AdminLayout>
  );
}

export function DeleteConfirmPage({ site, csrf, slug, title }: { site: Site; csrf: string; slug: string; title: string }) {
  const base = `/admin/issues/${slug}`;
  return (
    <AdminLayout site={site} title={`Delete “${title}”?`} current="issues" csrf={csrf}>
      <div className="notice">
        <h1>Delete “{title}”?</h1>
        <p className="lede">The draft and its schedule go for good. Nobody has received it.</p>
        <div className="button-row">
          <form method="post" action={`${base}/delete`}>
            <Csrf token={csrf} />
            <button type="submit" className="button button--danger">
              Yes, delete it
            </button>
          </form>
          <a className="button button--secondary" href={`${base}/edit`}>
            Keep it
          </a>
        </div>
      </div>
    </AdminLayout>
  );
}
