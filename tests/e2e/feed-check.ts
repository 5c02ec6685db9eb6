// A small, strict check of an RSS 2.0 document with a real XML parser (fast-xml-parser).
// Pure code: used by the workerd tests (tests/pages.test.tsx) and by the browser run (tests/e2e/run.ts).
// Throws an Error that says what is wrong; returns the channel and its items, text decoded.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface FeedItem {
  title: string;
  link: string;
  guid: string;
  pubDate: string;
  description: string;
}

export interface Feed {
  title: string;
  link: string;
  description: string;
  selfHref: string;
  items: FeedItem[];
}

/** Character and entity references XML itself defines; anything else after `&` is an error. */
const BAD_AMPERSAND = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;
/** RFC 822 date as RSS 2.0 wants it, e.g. "Tue, 24 Nov 2026 00:00:00 GMT". */
const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|UT|[+-]\d{4})$/;

function fail(problem: string): never {
  throw new Error(`feed: ${problem}`);
}

function text(node: unknown, where: string): string {
  if (typeof node === 'string') return node;
  if (typeof node === 'number') return String(node);
  if (node && typeof node === 'object' && '#text' in node) return String((node as Record<string, unknown>)['#text']);
  return fail(`${where} is missing or not text (${JSON.stringify(node)})`);
}

function absoluteUrl(value: string, where: string, base?: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`${where} is not an absolute URL: "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${where} is not http(s): "${value}"`);
  if (base && !value.startsWith(base)) fail(`${where} does not start with ${base}: "${value}"`);
  return value;
}

/**
 * Parses `xml` and checks it is RSS 2.0 as readers expect: well-formed, only XML's own entities,
 * a channel with title/link/description and an atom self link, and items with a title, an absolute
 * link under `publicUrl`, a permalink guid equal to the link, an RFC 822 date and a description,
 * newest first.
 */
export function checkRss(xml: string, publicUrl: string): Feed {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) fail(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  if (!xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')) fail('does not start with an XML declaration in UTF-8');
  const bad = BAD_AMPERSAND.exec(xml);
  if (bad) fail(`unescaped "&" or an entity XML does not define near: ${JSON.stringify(xml.slice(bad.index, bad.index + 20))}`);

  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    htmlEntities: false,
    isArray: (name) => name === 'item',
  });
  const doc = parser.parse(xml) as Record<string, any>;
  const rss = doc.rss;
  if (!rss) fail('the root element is not <rss>');
  if (rss['@version'] !== '2.0') fail(`<rss version> is "${rss['@version']}", not "2.0"`);
  const channel = rss.channel;
  if (!channel || Array.isArray(channel)) fail('there must be exactly one <channel>');

  const title = text(channel.title, 'channel <title>');
  if (!title.trim()) fail('channel <title> is empty');
  const link = absoluteUrl(text(channel.link, 'channel <link>'), 'channel <link>', publicUrl);
  const description = text(channel.description, 'channel <description>');
  const self = channel['atom:link'];
  if (!self || self['@rel'] !== 'self') fail('no <atom:link rel="self">');
  const selfHref = absoluteUrl(self['@href'], 'atom:link href', publicUrl);
  if (!selfHref.endsWith('/feed.xml')) fail(`atom:link self is "${selfHref}", not the feed itself`);
  if (rss['@xmlns:atom'] !== 'http://www.w3.org/2005/Atom') fail('the atom prefix is not bound to the Atom namespace');

  const items: FeedItem[] = (channel.item ?? []).map((item: Record<string, any>, i: number) => {
    const where = `item ${i + 1}`;
    const itemTitle = text(item.title, `${where} <title>`);
    if (!itemTitle.trim()) fail(`${where} has an empty <title>`);
    const itemLink = absoluteUrl(text(item.link, `${where} <link>`), `${where} <link>`, `${publicUrl}/archive/`);
    const guid = text(item.guid, `${where} <guid>`);
    if (guid !== itemLink) fail(`${where} <guid> "${guid}" is not its link "${itemLink}"`);
    if (item.guid?.['@isPermaLink'] !== 'true') fail(`${where} <guid> has no isPermaLink="true"`);
    const pubDate = text(item.pubDate, `${where} <pubDate>`);
    if (!RFC822.test(pubDate) || Number.isNaN(Date.parse(pubDate))) fail(`${where} <pubDate> "${pubDate}" is not an RFC 822 date`);
    const itemDescription = text(item.description, `${where} <description>`);
    return { title: itemTitle, link: itemLink, guid, pubDate, description: itemDescription };
  });
  for (let i = 1; i < items.length; i++) {
    if (Date.parse(items[i]!.pubDate) > Date.parse(items[i - 1]!.pubDate)) fail(`items are not newest first: item ${i + 1} is newer than item ${i}`);
  }
  return { title, link, description, selfHref, items };
}
