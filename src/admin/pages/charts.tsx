/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The dashboard's pictures, as inline SVG drawn from d3's scales and path generators (no script, no
// canvas). Colours come from classes in the admin stylesheet, so they follow light and dark mode.
// Every chart has its numbers next to it in text or a table: the SVG itself is aria-hidden or a
// labelled image, never the only way to read a figure.
import { scaleBand, scaleLinear } from "d3-scale";
import { area, curveMonotoneX, line } from "d3-shape";
import type { DashboardStats } from "../stats";
import type { WeekPoint } from "../overview";

const SHORT_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function shortDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()} ${SHORT_MONTHS[d.getUTCMonth()]}`;
}

export function formatNumber(n: number): string {
  return n.toLocaleString("en-US");
}

/** A share as a percentage with one decimal below 10 % ("0.4 %", "12 %"); "–" when there is no base. */
export function formatRate(part: number, whole: number): string {
  if (whole <= 0) return "–";
  const pct = (part / whole) * 100;
  if (pct === 0) return "0 %";
  return `${pct < 10 ? pct.toFixed(1) : Math.round(pct)} %`;
}

/* ------------------------------------------------------------------ */
/* 12 weeks: new confirmed (area and line) and left (line)             */

const W = 640;
const H = 240;
const M = { top: 16, right: 16, bottom: 28, left: 52 };

export function WeeklyChart({ weeks }: { weeks: WeekPoint[] }) {
  const x = scaleBand<number>()
    .domain(weeks.map((w) => w.start))
    .range([M.left, W - M.right])
    .padding(0.2);
  const max = Math.max(1, ...weeks.map((w) => Math.max(w.confirmed, w.left)));
  const y = scaleLinear().domain([0, max]).nice(4).range([H - M.bottom, M.top]);
  const cx = (w: WeekPoint) => (x(w.start) ?? 0) + x.bandwidth() / 2;
  const confirmedArea = area<WeekPoint>().x(cx).y0(y(0)).y1((w) => y(w.confirmed)).curve(curveMonotoneX)(weeks) ?? "";
  const confirmedLine = line<WeekPoint>().x(cx).y((w) => y(w.confirmed)).curve(curveMonotoneX)(weeks) ?? "";
  const leftLine = line<WeekPoint>().x(cx).y((w) => y(w.left)).curve(curveMonotoneX)(weeks) ?? "";
  const ticks = y.ticks(4).filter((t) => Number.isInteger(t));
  const totalConfirmed = weeks.reduce((a, w) => a + w.confirmed, 0);
  const totalLeft = weeks.reduce((a, w) => a + w.left, 0);
  const summary = `Over the last ${weeks.length} weeks, ${formatNumber(totalConfirmed)} readers confirmed and ${formatNumber(totalLeft)} left.`;
  return (
    <figure className="chart">
      <svg
        className="chart__svg"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby="weekly-chart-title weekly-chart-desc"
        data-chart="weekly"
      >
        <title id="weekly-chart-title">New confirmed readers and readers who left, per week</title>
        <desc id="weekly-chart-desc">{summary}</desc>
        <g className="chart__grid">
          {ticks.map((t) => (
            <g key={t}>
              <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} />
              <text x={M.left - 8} y={y(t)} dy="0.32em" textAnchor="end">
                {formatNumber(t)}
              </text>
            </g>
          ))}
        </g>
        <g className="chart__axis">
          {weeks.map((w, i) =>
            (weeks.length - 1 - i) % 2 === 0 ? (
              <text key={w.start} x={cx(w)} y={H - 8} textAnchor="middle">
                {shortDay(w.start)}
              </text>
            ) : null,
          )}
        </g>
        <path className="chart__area" d={confirmedArea} />
        <path className="chart__line chart__line--confirmed" d={confirmedLine} />
        <path className="chart__line chart__line--left" d={leftLine} />
        {weeks.map((w) => (
          <g key={w.start}>
            <circle className="chart__dot chart__dot--confirmed" cx={cx(w)} cy={y(w.confirmed)} r={3.5} />
            <rect className="chart__dot chart__dot--left" x={cx(w) - 3} y={y(w.left) - 3} width={6} height={6} />
          </g>
        ))}
      </svg>
      <figcaption className="chart__legend">
        <span className="legend legend--confirmed">New confirmed: {formatNumber(totalConfirmed)}</span>
        <span className="legend legend--left">Left: {formatNumber(totalLeft)}</span>
        <span className="muted">Weeks start on Monday (UTC).</span>
      </figcaption>
      <details className="chart__table">
        <summary>The numbers, week by week</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Week of</th>
              <th scope="col">New confirmed</th>
              <th scope="col">Left</th>
            </tr>
          </thead>
          <tbody>
            {weeks.map((w) => (
              <tr key={w.start}>
                <th scope="row">
                  <time dateTime={new Date(w.start).toISOString().slice(0, 10)}>{shortDay(w.start)}</time>
                </th>
                <td>{formatNumber(w.confirmed)}</td>
                <td>{formatNumber(w.left)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/* ------------------------------------------------------------------ */
/* A send's progress: sent, failed and pending out of recipients       */

/** Readers whose outcome is settled (everything but pending), as a whole percentage. */
export function percentDone(stats: Pick<DashboardStats, "recipients" | "pending">): number {
  if (stats.recipients <= 0) return 100;
  return Math.floor(((stats.recipients - Math.min(stats.pending, stats.recipients)) / stats.recipients) * 100);
}

/** The segments of the bar in viewBox units (0–100), in order: sent, failed, other settled, pending. */
export function progressSegments(stats: DashboardStats): { key: string; x: number; width: number }[] {
  const total = Math.max(stats.recipients, stats.sent + stats.failed + stats.skipped + stats.unknown + stats.suppressed + stats.pending, 1);
  const x = scaleLinear().domain([0, total]).range([0, 100]);
  const parts = [
    ["sent", stats.sent],
    ["failed", stats.failed],
    ["other", stats.skipped + stats.unknown + stats.suppressed],
    ["pending", stats.pending],
  ] as const;
  let at = 0;
  return parts.map(([key, n]) => {
    const segment = { key, x: x(at), width: x(at + n) - x(at) };
    at += n;
    return segment;
  });
}

export function ProgressBar({ stats, statsUrl, live }: { stats: DashboardStats; statsUrl: string; live: boolean }) {
  const done = percentDone(stats);
  return (
    <div className="progress" data-stats-url={live ? statsUrl : undefined} id="send-progress">
      <div
        className="progress__bar"
        role="progressbar"
        aria-labelledby="progress-label"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={done}
        aria-valuetext={`${done} % done: ${formatNumber(stats.sent)} sent, ${formatNumber(stats.failed)} failed, ${formatNumber(stats.pending)} pending of ${formatNumber(stats.recipients)}`}
      >
        <svg viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true" focusable="false">
          <rect className="progress__track" x={0} y={0} width={100} height={6} />
          {progressSegments(stats).map((s) => (
            <rect key={s.key} className={`progress__seg progress__seg--${s.key}`} data-segment={s.key} x={s.x} y={0} width={s.width} height={6} />
          ))}
        </svg>
      </div>
      <p className="progress__label" id="progress-label">
        <strong data-field="percent">{done} %</strong> done
        <span className="progress__live" data-field="live">
          {live ? " · updating by itself" : ""}
        </span>
      </p>
      <dl className="figures">
        <Figure label="Recipients" field="recipients" value={stats.recipients} />
        <Figure label="Sent" field="sent" value={stats.sent} tone="sent" />
        <Figure label="Failed" field="failed" value={stats.failed} tone="failed" />
        <Figure label="Pending" field="pending" value={stats.pending} tone="pending" />
        {stats.unknown > 0 || stats.skipped > 0 ? (
          <>
            <Figure label="Unknown" field="unknown" value={stats.unknown} tone="other" />
            <Figure label="Skipped" field="skipped" value={stats.skipped} tone="other" />
          </>
        ) : null}
        {stats.suppressed > 0 ? <Figure label="Suppressed by Resend" field="suppressed" value={stats.suppressed} tone="other" /> : null}
      </dl>
    </div>
  );
}

function Figure({ label, field, value, tone }: { label: string; field: string; value: number; tone?: string }) {
  return (
    <div className={tone ? `figure figure--${tone}` : "figure"}>
      <dt>{label}</dt>
      <dd data-field={field}>{formatNumber(value)}</dd>
    </div>
  );
}

/* ------------------------------------------------------------------ */
/* A finished send: outcomes as bars with rates                         */

export function OutcomeBars({ stats }: { stats: DashboardStats }) {
  const base = stats.sent + stats.failed > 0 ? stats.sent : 0;
  const rows = [
    { key: "delivered", label: "Delivered", n: stats.delivered, note: null },
    { key: "bounced", label: "Bounced", n: stats.bounced, note: null },
    { key: "complained", label: "Marked as spam", n: stats.complained, note: null },
    { key: "clicked", label: "Clicked a link", n: stats.clicked, note: "The real signal of interest." },
    {
      key: "opened",
      label: "Opened (overstated)",
      n: stats.opened,
      note: "Apple Mail Privacy Protection loads every image, so opens count many who never read it.",
    },
  ];
  const x = scaleLinear().domain([0, Math.max(base, 1)]).range([0, 100]).clamp(true);
  return (
    <div className="outcomes">
      <p className="muted">Rates are of the {formatNumber(stats.sent)} emails the provider accepted.</p>
      <ul className="outcomes__list">
        {rows.map((r) => (
          <li key={r.key} className={`outcome outcome--${r.key}`}>
            <div className="outcome__head">
              <span className="outcome__label">{r.label}</span>
              <span className="outcome__value">
                <strong>{formatRate(r.n, base)}</strong> <span className="muted">({formatNumber(r.n)})</span>
              </span>
            </div>
            <svg className="outcome__bar" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true" focusable="false">
              <rect className="outcome__track" x={0} y={0} width={100} height={4} />
              <rect className="outcome__fill" x={0} y={0} width={x(r.n)} height={4} />
            </svg>
            {r.note ? <p className="outcome__note">{r.note}</p> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
