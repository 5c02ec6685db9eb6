/**
 * Markup only Outlook for Windows reads: `<!--[if mso]>…<![endif]-->`.
 *
 * React cannot write an HTML comment, so this leaves an inert `<template>` carrying the markup in an
 * attribute (escaped by React like any attribute), and `withOutlookConditionals` (emails/render.tsx
 * runs it on every rendered email) swaps each one for the conditional comment. The markup is always
 * a constant of the layout, never content. In the React Email preview the template stays: browsers
 * neither show a <template> nor read conditional comments, so the preview looks the same.
 */
export function OutlookOnly({ html }: { html: string }) {
  return <template data-outlook-only={html} />;
}

const MARKER = /<template data-outlook-only="([^"]*)"><\/template>/g;
const ENTITIES: Record<string, string> = { "&amp;": "&", "&quot;": '"', "&#x27;": "'", "&#39;": "'", "&lt;": "<", "&gt;": ">" };

export function withOutlookConditionals(html: string): string {
  return html.replace(MARKER, (_, markup: string) => `<!--[if mso]>${markup.replace(/&(amp|quot|#x27|#39|lt|gt);/g, (e) => ENTITIES[e]!)}<![endif]-->`);
}
