// What the browser run measures on a page: axe-core violations, and the contrast of every visible
// piece of text against what is really behind it (used on the emails, in light and dark mode).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A/AA and best practices) on the current document. The source goes in
 * through the DevTools protocol, so the page's Content-Security-Policy stays on and is tested too.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: any[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id as string,
      impact: (v.impact ?? null) as string | null,
      help: v.help as string,
      targets: (v.nodes as { target: string[] }[]).slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
}

export interface ContrastReport {
  checked: number;
  minimum: number;
  failures: { text: string; color: string; background: string; ratio: number; needed: number }[];
}

/**
 * For every visible element with its own text: its colour against the first opaque background
 * behind it (or the canvas, which follows `color-scheme`), as WCAG computes contrast. In dark mode
 * this catches text whose colour comes from the UA default while its background is set, or the
 * other way round: the "black on dark" a mail client shows when a template sets only one of the two.
 */
export async function measureContrast(page: Page): Promise<ContrastReport> {
  // tsx (esbuild keepNames) wraps the named helpers below in __name(); the page has no such function.
  await page.evaluate('globalThis.__name ??= (fn) => fn');
  return page.evaluate(() => {
    type RGBA = [number, number, number, number];
    const parse = (value: string): RGBA => {
      const m = value.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const parts = m[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
      return [parts[0]!, parts[1]!, parts[2]!, parts[3] ?? 1];
    };
    const over = (top: RGBA, bottom: RGBA): RGBA => {
      const a = top[3];
      return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
    };
    const luminance = ([r, g, b]: RGBA) => {
      const f = (c: number) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a: RGBA, b: RGBA) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi! + 0.05) / (lo! + 0.05);
    };

    const probe = document.createElement('div');
    probe.setAttribute('style', 'background-color: Canvas; color: CanvasText');
    document.documentElement.appendChild(probe);
    const canvas = parse(getComputedStyle(probe).backgroundColor);
    probe.remove();

    const backgroundOf = (el: Element | null): RGBA => {
      const layers: RGBA[] = [];
      for (let node = el; node; node = node.parentElement) {
        const bg = parse(getComputedStyle(node).backgroundColor);
        if (bg[3] > 0) {
          layers.push(bg);
          if (bg[3] >= 1) break;
        }
      }
      return layers.reduceRight<RGBA>((acc, layer) => over(layer, acc), canvas);
    };

    const report: ContrastReport = { checked: 0, minimum: Infinity, failures: [] };
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const own = Array.from(el.childNodes)
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent ?? '')
        .join('')
        .replace(/[\s\u200b-\u200d\u034f\ufeff\u00ad]+/g, ' ')
        .trim();
      if (!own) continue;
      const style = getComputedStyle(el);
      if (el.getClientRects().length === 0 || style.visibility !== 'visible' || Number(style.opacity) === 0) continue;
      let hidden = false;
      for (let node: Element | null = el; node; node = node.parentElement) {
        const s = getComputedStyle(node);
        if (Number(s.opacity) === 0 || s.display === 'none' || (s.maxHeight === '0px' && s.overflow === 'hidden')) hidden = true;
      }
      if (hidden) continue;
      const background = backgroundOf(el);
      const color = over(parse(style.color), background);
      const r = ratio(color, background);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const needed = large ? 3 : 4.5;
      report.checked++;
      report.minimum = Math.min(report.minimum, r);
      if (r < needed) {
        report.failures.push({
          text: own.slice(0, 60),
          color: style.color,
          background: `rgb(${background.slice(0, 3).map(Math.round).join(', ')})`,
          ratio: Math.round(r * 100) / 100,
          needed,
        });
      }
    }
    return report;
  });
}
