/** The light and dark palettes, each in one place: the page follows the reader's system, and /embed
 * can be pinned to one (`?theme=light|dark`, the writer's site decides; see the end of the sheet). */
const LIGHT = `
--bg: #fbfaf7;
--surface: #ffffff;
--text: #1d1f22;
--muted: #5d6168;
--border: #e5e1d8;
--input-border: #858a91;
--accent: #1d5b70;
--accent-hover: #134657;
--on-accent: #ffffff;
--focus: #1d5b70;
--alert-bg: #fdf1ee;
--alert-border: #c4391d;
--alert-text: #8a2410;
--code-bg: #f1eee7;
--note-bg: #fff7e0;
--note-border: #d9a521;
--on-danger: #ffffff;`;
const DARK = `
--bg: #131416;
--surface: #1b1d20;
--text: #e9e6e1;
--muted: #a7abb1;
--border: #2d3034;
--input-border: #7a8088;
--accent: #86c8da;
--accent-hover: #a9dbe8;
--on-accent: #0d1b20;
--focus: #86c8da;
--alert-bg: #34201c;
--alert-border: #ef8a73;
--alert-text: #ffc2b4;
--code-bg: #222428;
--note-bg: #2b2616;
--note-border: #b8901f;
--on-danger: #1b0d0a;`;

/** The stylesheet served at /styles.css. No external resources, no @import. */
export const stylesheet = String.raw`
:root {
  color-scheme: light dark;
  ${LIGHT}
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
  --serif: "Iowan Old Style", "Palatino Linotype", Palatino, "Book Antiqua", Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif;
  --mono: ui-monospace, "SF Mono", "Cascadia Mono", "Roboto Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --measure: 36rem;
  --radius: 10px;
}

@media (prefers-color-scheme: dark) {
  :root { ${DARK} }
}

*, *::before, *::after { box-sizing: border-box; }

html {
  font-size: 106.25%; /* 17px on phones */
  -webkit-text-size-adjust: 100%;
  text-size-adjust: 100%;
}
@media (min-width: 48em) {
  html { font-size: 112.5%; } /* 18px on larger screens */
}

body {
  margin: 0;
  min-height: 100vh;
  display: flex;
  flex-direction: column;
  background: var(--bg);
  color: var(--text);
  font-family: var(--sans);
  line-height: 1.6;
  font-kerning: normal;
  -webkit-font-smoothing: antialiased;
  overflow-wrap: break-word;
}

/* Layout ----------------------------------------------------------- */

.wrap {
  width: 100%;
  max-width: calc(var(--measure) + 2.5rem);
  margin-inline: auto;
  padding-inline: 1.25rem;
}
.wrap--wide { max-width: calc(52rem + 2.5rem); }

main {
  flex: 1 0 auto;
  padding-block: 3rem 4.5rem;
}
main:focus { outline: none; }
@media (min-width: 48em) {
  main { padding-block: 4.5rem 6rem; }
}

.site-header { border-bottom: 1px solid var(--border); }
.site-header__inner {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.25rem 1.5rem;
  padding-block: 0.75rem;
}
.brand {
  font-family: var(--serif);
  font-weight: 700;
  font-size: 1.125rem;
  letter-spacing: -0.01em;
  color: var(--text);
  text-decoration: none;
  padding-block: 0.5rem;
}
.brand:hover { color: var(--accent); }
.nav {
  display: flex;
  gap: 0.25rem;
  margin: 0 -0.6rem 0 0;
  padding: 0;
  list-style: none;
}
.nav a {
  display: inline-block;
  padding: 0.5rem 0.6rem;
  color: var(--muted);
  text-decoration: none;
  font-size: 0.9375rem;
  border-radius: 6px;
}
.nav a:hover, .nav a[aria-current="page"] { color: var(--text); }
.nav a[aria-current="page"] { text-decoration: underline; text-decoration-thickness: 2px; text-underline-offset: 0.35em; }

.site-footer {
  border-top: 1px solid var(--border);
  color: var(--muted);
  font-size: 0.875rem;
  padding-block: 2rem 2.5rem;
}
.site-footer p { margin: 0 0 0.5rem; }
.site-footer strong { color: var(--text); font-weight: 600; }
.footer-links {
  display: flex;
  flex-wrap: wrap;
  gap: 0 1.25rem;
  margin: 0;
  padding: 0;
  list-style: none;
}
.footer-links a { color: var(--muted); display: inline-block; padding-block: 0.35rem; }
.footer-links a:hover { color: var(--text); }

/* Accessibility ---------------------------------------------------- */

.visually-hidden {
  position: absolute !important;
  width: 1px !important;
  height: 1px !important;
  padding: 0 !important;
  margin: -1px !important;
  overflow: hidden !important;
  clip: rect(0 0 0 0) !important;
  clip-path: inset(50%) !important;
  white-space: nowrap !important;
  border: 0 !important;
}

.skip-link {
  position: absolute;
  left: 1rem;
  top: 0.75rem;
  z-index: 10;
  padding: 0.6rem 1rem;
  background: var(--surface);
  color: var(--text);
  border: 2px solid var(--focus);
  border-radius: 6px;
  font-weight: 600;
  transform: translateY(-200%);
}
.skip-link:focus { transform: none; }

:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
  border-radius: 4px;
}

/* Type ------------------------------------------------------------- */

h1, h2, h3 {
  font-family: var(--serif);
  line-height: 1.2;
  letter-spacing: -0.01em;
  text-wrap: balance;
  margin: 0 0 0.75rem;
}
h1 { font-size: clamp(2rem, 1.5rem + 2.2vw, 2.6rem); font-weight: 700; }
h2 { font-size: 1.45rem; font-weight: 700; }
h3 { font-size: 1.15rem; font-weight: 700; }
p { margin: 0 0 1rem; }

a {
  color: var(--accent);
  text-decoration-line: underline;
  text-decoration-thickness: 1px;
  text-underline-offset: 0.18em;
}
a:hover { color: var(--accent-hover); text-decoration-thickness: 2px; }

.lede { font-size: 1.15rem; color: var(--text); text-wrap: pretty; }
.muted { color: var(--muted); }
.eyebrow {
  display: block;
  margin: 0 0 0.5rem;
  color: var(--muted);
  font-family: var(--sans);
  font-size: 0.8125rem;
  font-weight: 600;
  letter-spacing: 0.06em;
  text-transform: uppercase;
}
.empty { color: var(--muted); font-style: italic; }

/* Home ------------------------------------------------------------- */

.hero { margin-bottom: 2.25rem; }
.hero h1 { font-size: clamp(2.3rem, 1.6rem + 3vw, 3.1rem); margin-bottom: 0.5rem; }
.tagline {
  font-family: var(--serif);
  font-size: 1.3rem;
  line-height: 1.45;
  color: var(--muted);
  margin-bottom: 1.25rem;
  text-wrap: balance;
}
.promise { font-weight: 600; margin-bottom: 1.25rem; }
.latest { margin: 0; padding-top: 1.25rem; border-top: 1px solid var(--border); }
.latest .eyebrow { margin-bottom: 0.2rem; }
.latest__title { font-family: var(--serif); font-size: 1.15rem; font-weight: 600; }
.latest__date { display: block; font-size: 0.875rem; color: var(--muted); }

/* Cards and forms ---------------------------------------------------- */

.card {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: calc(var(--radius) + 4px);
  padding: 1.5rem 1.25rem;
}
@media (min-width: 30em) {
  .card { padding: 2rem; }
}

.field { margin-bottom: 1.25rem; }
label {
  display: block;
  font-weight: 600;
  margin-bottom: 0.4rem;
}
.optional { font-weight: 400; color: var(--muted); }

input[type="email"], input[type="text"], input[type="search"], input[type="password"], select {
  display: block;
  width: 100%;
  min-height: 3rem;
  padding: 0.65rem 0.85rem;
  font: inherit;
  font-size: 1rem;
  color: var(--text);
  background: var(--surface);
  border: 1px solid var(--input-border);
  border-radius: var(--radius);
  appearance: none;
}
select { appearance: auto; } /* keeps its arrow */
input::placeholder { color: var(--muted); opacity: 1; }
input:focus-visible { outline-offset: 1px; border-color: var(--focus); }
input[aria-invalid="true"] { border-color: var(--alert-border); border-width: 2px; }

.button {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  min-height: 3rem;
  padding: 0.65rem 1.5rem;
  font: inherit;
  font-weight: 600;
  line-height: 1.2;
  color: var(--on-accent);
  background: var(--accent);
  border: 1px solid var(--accent);
  border-radius: var(--radius);
  text-decoration: none;
  cursor: pointer;
  touch-action: manipulation;
}
.button:hover { background: var(--accent-hover); border-color: var(--accent-hover); color: var(--on-accent); }
.button:active { transform: translateY(1px); }
.button--secondary { background: transparent; color: var(--accent); }
.button--secondary:hover { background: var(--accent); color: var(--on-accent); }

.actions .button { width: 100%; }
@media (min-width: 30em) {
  .actions .button { width: auto; }
}

.inline-row { display: flex; flex-wrap: wrap; gap: 0.6rem; }
.inline-row input { flex: 1 1 13rem; width: auto; }
.inline-row .button { flex: 1 0 auto; }
@media (min-width: 30em) {
  .inline-row .button { flex: 0 0 auto; }
}

.fine-print { margin: 1rem 0 0; font-size: 0.875rem; color: var(--muted); }

.alert {
  margin-bottom: 1.25rem;
  padding: 0.75rem 1rem;
  background: var(--alert-bg);
  color: var(--alert-text);
  border-left: 4px solid var(--alert-border);
  border-radius: 6px;
  font-weight: 500;
}

.cf-turnstile { margin-bottom: 1.25rem; min-height: 65px; }

/* Notice pages (check inbox, confirm, errors…) ---------------------------- */

.notice { padding-top: 1rem; }
.notice form { margin: 1.75rem 0; }
.checklist { padding-left: 1.25rem; margin: 0 0 1.5rem; }
.checklist li { margin-bottom: 0.4rem; }
.checklist li::marker { color: var(--muted); }

/* Archive ------------------------------------------------------------ */

.page-header { margin-bottom: 2.5rem; }
.page-header .lede { color: var(--muted); }
.issues { list-style: none; margin: 0; padding: 0; }
.issue { padding-block: 1.75rem; border-top: 1px solid var(--border); }
.issue:last-child { border-bottom: 1px solid var(--border); }
.issue__date {
  display: block;
  margin-bottom: 0.35rem;
  color: var(--muted);
  font-size: 0.875rem;
}
.issue__title { font-size: 1.4rem; margin-bottom: 0.4rem; }
.issue__title a { color: var(--text); text-decoration: none; }
.issue__title a:hover { color: var(--accent); text-decoration: underline; text-decoration-thickness: 2px; }
.issue__summary { color: var(--muted); margin: 0; }

/* Article ------------------------------------------------------------ */

.article__header { margin-bottom: 2.25rem; }
.article__header h1 { margin-bottom: 0.75rem; }
.article__summary {
  font-family: var(--serif);
  font-size: 1.25rem;
  line-height: 1.45;
  color: var(--muted);
  margin: 0;
  text-wrap: pretty;
}

.prose {
  font-family: var(--serif);
  font-size: 1.075rem;
  line-height: 1.7;
  hyphens: auto;
}
.prose :where(p, ul, ol, dl, blockquote, pre, figure, table) { margin-block: 0; }
.prose > * + * { margin-top: 1.25em; }
.prose > :first-child { margin-top: 0; }
.prose h2 { font-size: 1.45rem; margin: 2.2em 0 0; }
.prose h3 { font-size: 1.2rem; margin: 1.8em 0 0; }
.prose h4 { font-size: 1rem; margin: 1.6em 0 0; }
.prose h2 + *, .prose h3 + *, .prose h4 + * { margin-top: 0.6em; }
.prose ul, .prose ol { padding-left: 1.4em; }
.prose li + li { margin-top: 0.4em; }
.prose li::marker { color: var(--muted); }
.prose blockquote {
  margin-inline: 0;
  padding-left: 1.1em;
  border-left: 3px solid var(--border);
  color: var(--muted);
  font-style: italic;
}
.prose img, .prose video { display: block; max-width: 100%; height: auto; border-radius: 6px; }
.prose figcaption { margin-top: 0.5em; font-family: var(--sans); font-size: 0.85rem; color: var(--muted); }
.prose hr { border: 0; border-top: 1px solid var(--border); margin: 2.5em auto; width: 40%; }
.prose code {
  font-family: var(--mono);
  font-size: 0.85em;
  background: var(--code-bg);
  padding: 0.1em 0.35em;
  border-radius: 4px;
}
.prose pre {
  font-size: 0.875rem;
  line-height: 1.55;
  background: var(--code-bg);
  padding: 1rem 1.1rem;
  border-radius: 8px;
  overflow-x: auto;
}
.prose pre code { background: none; padding: 0; font-size: inherit; }
.prose table { width: 100%; border-collapse: collapse; font-family: var(--sans); font-size: 0.9rem; display: block; overflow-x: auto; }
.prose th, .prose td { text-align: left; padding: 0.5em 0.75em; border-bottom: 1px solid var(--border); }
.prose th { font-weight: 600; }
.prose strong { font-weight: 700; }

.subscribe-box { margin-top: 4rem; }
.subscribe-box h2 { font-size: 1.35rem; margin-bottom: 0.4rem; }
.subscribe-box > p { color: var(--muted); }
.subscribe-box .field { margin-bottom: 0; }
.back-link { margin-top: 2.5rem; }

/* Dev outbox ----------------------------------------------------------- */

.dev-note {
  padding: 0.75rem 1rem;
  background: var(--note-bg);
  border-left: 4px solid var(--note-border);
  border-radius: 6px;
  font-size: 0.95rem;
}
.mails { list-style: none; margin: 0; padding: 0; }
.mail {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  padding: 1.25rem;
  margin-bottom: 1.5rem;
}
.mail__subject { font-size: 1.25rem; }
.mail__meta, .mail__headers {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 0.2rem 1rem;
  margin: 0 0 1rem;
  font-size: 0.9rem;
}
.mail__headers > div { display: contents; }
.mail__meta dt, .mail__headers dt { color: var(--muted); font-weight: 600; }
.mail__meta dd, .mail__headers dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.mail__headers { font-family: var(--mono); font-size: 0.8rem; margin-top: 0.75rem; }
.mail__part { margin-bottom: 1rem; }
.mail__part summary { cursor: pointer; font-weight: 600; padding-block: 0.35rem; }
.mail__part-title { font-family: var(--sans); font-size: 0.8125rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 1rem 0 0.5rem; }
.mail__text {
  margin: 0;
  padding: 1rem;
  background: var(--code-bg);
  border-radius: 8px;
  font-family: var(--mono);
  font-size: 0.8125rem;
  line-height: 1.55;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  max-height: 32rem;
  overflow: auto;
}

/* The reader's preferences page (src/preferences/pages.tsx) -------------- */

.facts {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 0.35rem 1.25rem;
  margin: 0 0 2rem;
}
.facts dt { color: var(--muted); font-weight: 600; }
.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
@media (max-width: 30em) {
  .facts { grid-template-columns: 1fr; gap: 0; }
  .facts dd { margin-bottom: 0.6rem; }
}
.prefs-section { padding-block: 1.75rem; border-top: 1px solid var(--border); }
.prefs-section h2 { font-size: 1.3rem; margin-bottom: 0.5rem; }
.prefs-section > form + form { margin-top: 0.75rem; }
.choices { border: 0; margin: 0 0 1rem; padding: 0; }
.choices legend { font-weight: 600; margin-bottom: 0.4rem; padding: 0; }
.choice {
  display: inline-flex;
  align-items: center;
  gap: 0.45rem;
  min-height: 2.75rem;
  margin: 0 1.25rem 0 0;
  font-weight: 400;
  cursor: pointer;
}
.choice input { width: 1.25rem; height: 1.25rem; margin: 0; accent-color: var(--accent); }
.button-row { display: flex; flex-wrap: wrap; gap: 0.75rem; }
.button-row form { margin: 0; }
.button--danger { background: var(--alert-border); border-color: var(--alert-border); color: var(--on-danger); }
.button--danger:hover { background: var(--alert-text); border-color: var(--alert-text); color: var(--on-danger); }
.done {
  margin-bottom: 1.5rem;
  padding: 0.75rem 1rem;
  background: var(--surface);
  border: 1px solid var(--border);
  border-left: 4px solid var(--accent);
  border-radius: 6px;
  font-weight: 500;
}
.field-error { color: var(--alert-text); font-weight: 600; margin: 0 0 0.5rem; }

/* The framable sign-up page (/embed) and its status line ------------------ */

body.embed { min-height: 0; display: block; background: var(--surface); }
.embed__main { padding: 1rem; max-width: 36rem; }
.embed__title { margin: 0 0 0.25rem; font-family: var(--serif); font-size: 1.35rem; line-height: 1.25; }
.embed__tagline { margin: 0 0 1rem; color: var(--muted); font-size: 0.95rem; }
.embed .field { margin-bottom: 0; }
.embed .fine-print { margin-top: 0.75rem; }
.embed__more { margin: 0.5rem 0 0; font-size: 0.875rem; }
.form-status { margin: 0.75rem 0 0; font-weight: 600; }
.form-status:empty { margin: 0; } /* kept in the accessibility tree, so its first message is announced */
.form-status--error { color: var(--alert-text); }
/* /embed?theme=light or dark: pinned to the writer's site rather than the reader's system. */
:root.theme-light { color-scheme: light; ${LIGHT} }
:root.theme-dark { color-scheme: dark; ${DARK} }

/* Motion and print ------------------------------------------------------ */

@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { transition: none !important; animation: none !important; }
}

@media print {
  .site-header nav, .site-footer, .subscribe-box, .skip-link, .back-link { display: none; }
  body { background: #fff; color: #000; }
  main { padding: 0; }
  .prose a::after { content: " (" attr(href) ")"; font-size: 0.85em; }
}
`;
