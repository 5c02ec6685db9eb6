/** The dashboard's stylesheet, served at /admin/admin.css after the site's own /styles.css. */
export const adminStylesheet = String.raw`
:root {
  --ok: #1f6b3a;
  --ok-bg: #e9f5ec;
  --warn: #8a5a00;
  --warn-bg: #fff4d6;
  --danger: #b3261e;
  --danger-hover: #8c1d17;
  --chart-confirmed: #1d5b70;
  --chart-confirmed-fill: rgba(29, 91, 112, 0.14);
  --chart-left: #b3261e;
  --chart-grid: #e5e1d8;
  --seg-sent: #2e7d4f;
  --seg-failed: #b3261e;
  --seg-other: #8a5a00;
  --track: #ebe7df;
}
@media (prefers-color-scheme: dark) {
  :root {
    --ok: #8fd3a5;
    --ok-bg: #15291c;
    --warn: #f0c674;
    --warn-bg: #2d2612;
    --danger: #ff8a80;
    --danger-hover: #ffb3ab;
    --chart-confirmed: #86c8da;
    --chart-confirmed-fill: rgba(134, 200, 218, 0.16);
    --chart-left: #ff8a80;
    --chart-grid: #2d3034;
    --seg-sent: #5fbf83;
    --seg-failed: #ff8a80;
    --seg-other: #f0c674;
    --track: #2a2d31;
  }
}

.wrap--admin { max-width: calc(70rem + 2.5rem); }
.admin main { padding-block: 2rem 4rem; }
.admin h1 { font-size: clamp(1.7rem, 1.4rem + 1.2vw, 2.2rem); }
.admin h2 { font-size: 1.25rem; margin-top: 0; }
.admin-nav { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.5rem; }
.admin-nav .nav { margin: 0; flex-wrap: wrap; }
.signout { margin: 0; }
.link-button {
  font: inherit;
  font-size: 0.9375rem;
  color: var(--muted);
  background: none;
  border: 0;
  padding: 0.5rem 0.6rem;
  cursor: pointer;
  text-decoration: underline;
  text-underline-offset: 0.18em;
  min-height: 2.75rem;
}
.link-button:hover { color: var(--text); }

.page-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0.5rem 1rem; margin-bottom: 1.5rem; }
.page-head h1 { margin: 0; }

.grid { display: grid; gap: 1.25rem; grid-template-columns: minmax(0, 1fr); }
@media (min-width: 60em) {
  .grid--2 { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); align-items: start; }
}
.panel {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  padding: 1.25rem;
  min-width: 0;
}
.panel > :last-child { margin-bottom: 0; }
.stack > * + * { margin-top: 1.25rem; }

.counts { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.75rem; margin: 0 0 1.25rem; padding: 0; list-style: none; }
.count { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 0.85rem 1rem; }
.count__n { display: block; font-size: 1.6rem; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums; }
.count__label { color: var(--muted); font-size: 0.9rem; }
.count a { color: inherit; text-decoration: none; }
.count a:hover .count__label { text-decoration: underline; }

/* Charts */
.chart { margin: 0; }
.chart__svg { display: block; width: 100%; height: auto; }
.chart__grid line { stroke: var(--chart-grid); stroke-width: 1; }
.chart__grid text, .chart__axis text { fill: var(--muted); font-size: 12px; font-family: var(--sans); }
.chart__area { fill: var(--chart-confirmed-fill); }
.chart__line { fill: none; stroke-width: 2.5; }
.chart__line--confirmed { stroke: var(--chart-confirmed); }
.chart__line--left { stroke: var(--chart-left); stroke-dasharray: 6 4; }
.chart__dot--confirmed { fill: var(--chart-confirmed); }
.chart__dot--left { fill: var(--chart-left); }
.chart__legend { display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; margin-top: 0.5rem; font-size: 0.9rem; }
.legend::before { content: ""; display: inline-block; width: 1.1rem; height: 0; margin-right: 0.4rem; vertical-align: middle; border-top: 3px solid; }
.legend--confirmed::before { border-color: var(--chart-confirmed); }
.legend--left::before { border-color: var(--chart-left); border-top-style: dashed; }
.chart__table { margin-top: 0.75rem; font-size: 0.9rem; }
.chart__table summary { cursor: pointer; color: var(--accent); padding-block: 0.35rem; }

table.data { width: 100%; border-collapse: collapse; font-size: 0.9375rem; }
.data th, .data td { text-align: left; padding: 0.55rem 0.6rem; border-bottom: 1px solid var(--border); vertical-align: top; }
.data thead th { font-size: 0.8125rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.data td.num, .data th.num { text-align: right; font-variant-numeric: tabular-nums; }
.data .email { overflow-wrap: anywhere; }
@media (max-width: 40em) {
  .data--stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .data--stack tr { display: block; padding-block: 0.6rem; border-bottom: 1px solid var(--border); }
  .data--stack td, .data--stack th { display: grid; grid-template-columns: 5.5rem minmax(0, 1fr); gap: 0.75rem; border: 0; padding: 0.15rem 0; text-align: left; overflow-wrap: anywhere; }
  .data--stack td::before, .data--stack th::before { content: attr(data-label); color: var(--muted); font-weight: 600; font-size: 0.875rem; }
  .data--stack td > *, .data--stack th > * { justify-self: start; }
}

/* Status badges */
.badge { display: inline-block; padding: 0.05rem 0.55rem; border-radius: 999px; font-size: 0.8125rem; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.badge--sent, .badge--confirmed { color: var(--ok); background: var(--ok-bg); }
.badge--sending, .badge--ready, .badge--pending, .badge--scheduled { color: var(--accent); background: var(--surface); }
.badge--halted, .badge--paused, .badge--bounced, .badge--complained { color: var(--danger); background: var(--alert-bg); }
.badge--active, .badge--delivered { color: var(--ok); background: var(--ok-bg); }
.badge--failing, .badge--failed, .badge--disabled { color: var(--danger); background: var(--alert-bg); }
.badge--draft, .badge--unsubscribed { color: var(--muted); background: var(--surface); }

/* Forms */
input[type="file"] { font: inherit; font-size: 0.95rem; max-width: 100%; }
input[type="file"]::file-selector-button { font: inherit; margin-right: 0.75rem; padding: 0.4rem 0.8rem; border-radius: 6px; border: 1px solid var(--input-border); background: var(--surface); color: var(--text); cursor: pointer; }
.admin input[type="email"], .admin input[type="text"], .admin input[type="search"], .admin input[type="password"], .admin select { min-height: 2.75rem; padding: 0.5rem 0.75rem; }
.filters { display: grid; gap: 0.75rem; align-items: end; }
@media (min-width: 40em) {
  .filters { grid-template-columns: 2fr 1fr auto; }
}
.filters .field { margin: 0; }
.admin .button { min-height: 2.75rem; padding: 0.5rem 1.1rem; }
.button--danger { background: var(--danger); border-color: var(--danger); color: var(--surface); }
.button--danger:hover { background: var(--danger-hover); border-color: var(--danger-hover); color: var(--surface); }
.button--small { min-height: 2.25rem !important; padding: 0.25rem 0.75rem !important; font-size: 0.875rem; }
.button-row { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; margin: 0; }
.radio-row { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; border: 0; padding: 0; margin: 0 0 1rem; }
.radio-row legend { font-weight: 600; margin-bottom: 0.4rem; padding: 0; }
.radio-row label { font-weight: 400; display: flex; gap: 0.4rem; align-items: center; margin: 0; }
.hint { font-size: 0.875rem; color: var(--muted); margin: 0.3rem 0 0; }

.success {
  margin-bottom: 1.25rem;
  padding: 0.75rem 1rem;
  background: var(--ok-bg);
  color: var(--ok);
  border-left: 4px solid var(--ok);
  border-radius: 6px;
  font-weight: 500;
}
.warning {
  margin-bottom: 1.25rem;
  padding: 0.75rem 1rem;
  background: var(--warn-bg);
  color: var(--text);
  border-left: 4px solid var(--warn);
  border-radius: 6px;
}
.warning h2 { font-size: 1.1rem; margin-bottom: 0.4rem; }
.warning ul { margin: 0.5rem 0 0; padding-left: 1.2rem; }

/* Progress and outcomes */
.progress__bar svg { display: block; width: 100%; height: 1.1rem; border-radius: 6px; overflow: hidden; }
.progress__track { fill: var(--track); }
.progress__seg--sent { fill: var(--seg-sent); }
.progress__seg--failed { fill: var(--seg-failed); }
.progress__seg--other { fill: var(--seg-other); }
.progress__seg--pending { fill: transparent; }
.progress__label { margin: 0.5rem 0 1rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(7.5rem, 1fr)); gap: 0.5rem 1rem; margin: 0; }
.figure dt { color: var(--muted); font-size: 0.875rem; }
.figure dd { margin: 0; font-size: 1.35rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.figure--sent dt::before, .figure--failed dt::before, .figure--pending dt::before, .figure--other dt::before { content: ""; display: inline-block; width: 0.7rem; height: 0.7rem; border-radius: 2px; margin-right: 0.35rem; vertical-align: -0.05rem; }
.figure--sent dt::before { background: var(--seg-sent); }
.figure--failed dt::before { background: var(--seg-failed); }
.figure--pending dt::before { background: var(--track); border: 1px solid var(--input-border); }
.figure--other dt::before { background: var(--seg-other); }
.outcomes__list { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.9rem; }
.outcome__head { display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
.outcome__label { font-weight: 600; }
.outcome__bar { display: block; width: 100%; height: 0.6rem; margin-top: 0.3rem; border-radius: 4px; overflow: hidden; }
.outcome__track { fill: var(--track); }
.outcome__fill { fill: var(--seg-sent); }
.outcome--bounced .outcome__fill, .outcome--complained .outcome__fill { fill: var(--seg-failed); }
.outcome--opened .outcome__fill { fill: var(--seg-other); }
.outcome__note { margin: 0.2rem 0 0; font-size: 0.85rem; color: var(--muted); }

.meta-list { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0; }
.meta-list dt { color: var(--muted); }
.meta-list dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }

.pager { display: flex; gap: 1rem; justify-content: space-between; align-items: center; margin-top: 1rem; flex-wrap: wrap; }
.invalid-lines { max-height: 24rem; overflow: auto; }
.signin { max-width: 28rem; margin-inline: auto; }
code { font-family: var(--mono); font-size: 0.9em; background: var(--code-bg); padding: 0.1em 0.35em; border-radius: 4px; overflow-wrap: anywhere; }
pre.command { background: var(--code-bg); padding: 0.75rem 1rem; border-radius: 8px; overflow-x: auto; font-size: 0.85rem; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.command code { background: none; padding: 0; }

/* The article editor */
.admin textarea, .admin input[type="date"], .admin input[type="datetime-local"] {
  display: block;
  width: 100%;
  padding: 0.5rem 0.75rem;
  font: inherit;
  font-size: 1rem;
  color: var(--text);
  background: var(--surface);
  border: 1px solid var(--input-border);
  border-radius: var(--radius);
}
.admin input[type="date"], .admin input[type="datetime-local"] { min-height: 2.75rem; max-width: 20rem; }
.admin textarea:focus-visible { outline-offset: 1px; border-color: var(--focus); }
.admin textarea[aria-invalid="true"], .admin input[aria-invalid="true"] { border-color: var(--alert-border); border-width: 2px; }
.editor__body { font-family: var(--mono); font-size: 0.9375rem; line-height: 1.55; min-height: 22rem; resize: vertical; tab-size: 4; }
.editor { display: grid; gap: 1.5rem; grid-template-columns: minmax(0, 1fr); }
@media (min-width: 72em) {
  .editor { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); align-items: start; }
  .editor__preview { position: sticky; top: 1rem; }
}
.editor__write > * + * { margin-top: 1.25rem; }
.editor__actions { margin-top: 0.5rem; }
.editor__unschedule { margin-top: 0.75rem; }
.editor__readonly { max-height: 40rem; overflow: auto; }
.editor__preview h2 { font-size: 1.25rem; margin: 0 0 0.25rem; }
.editor__frames { display: grid; gap: 1rem; margin-top: 0.75rem; }
.editor__frames figure { margin: 0; }
.editor__frames figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.35rem; }
.editor__frames iframe { display: block; width: 100%; height: 34rem; border: 1px solid var(--border); border-radius: var(--radius); background: #fff; }
.checks { margin: 0.4rem 0 0; padding-left: 1.2rem; }
.checks li + li { margin-top: 0.3rem; }
.checks a { color: inherit; }
.alert__title { margin: 0; }

/* Sign-up form snippets (/admin/signup-form); .admin so it wins over the editor's textarea rule */
.admin .snippet__code {
  display: block;
  width: 100%;
  font-family: var(--mono);
  font-size: 0.8125rem;
  line-height: 1.5;
  padding: 0.75rem;
  color: var(--text);
  background: var(--code-bg);
  border: 1px solid var(--input-border);
  border-radius: var(--radius);
  resize: vertical;
  white-space: pre;
  overflow-x: auto;
}
.snippet__actions { margin: 0.75rem 0 0; min-height: 3rem; }
.origin-list { margin: 0 0 1rem; padding-left: 1.25rem; }
.signup-preview { display: block; width: 100%; height: 22rem; border: 1px dashed var(--border); border-radius: var(--radius); background: var(--surface); }
`;
