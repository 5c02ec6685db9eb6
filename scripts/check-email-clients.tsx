/** @jsxRuntime automatic @jsxImportSource react */
// Checks the emails against caniemail's data (the `caniemail` package, caniemail.com's tables), as a
// tool outside the project sees them: `npm run check:email-clients` (also part of `npm test`).
//
// For Gmail, Apple Mail, Outlook for Mac and iOS, and Yahoo (every variant caniemail knows), it lists
// the features of each rendered email that a client does not support at all, in three groups:
//  - emitted by React Email's own components: the same feature in a reference email made of those
//    components alone, with no style of ours (e.g. `target` on links, the preview's display:none);
//  - the dark design and the preheader's aria-hidden, which the issue asks for: a client that lacks
//    them drops them and shows the light design, with the preheader still hidden (ENHANCEMENTS);
//  - everything else, which must be none: the script fails if any is found.
// Partly supported features are counted, not failed.
//
// caniemail 1.0.x matched CSS properties as substrings (`line-height` read as `height`); a reported
// CSS property that the HTML does not declare as a whole property is dropped before counting.
import { caniemail } from 'caniemail';
import { Body, Button, Container, Head, Heading, Hr, Html, Img, Link, Markdown, Preview, render, Section, Text } from 'react-email';
import { type RenderedEmail, renderConfirmationEmail, renderIssueEmail, renderWelcomeEmail } from '../emails/render.tsx';
import { articles } from '../src/generated/articles.ts';

const CLIENTS: Parameters<typeof caniemail>[0]['clients'] = ['gmail.*', 'apple-mail.*', 'outlook.macos', 'outlook.ios', 'yahoo.*'];

/** Unsupported features we add on purpose, and why a client without them still shows the email right. */
const ENHANCEMENTS: Record<string, string> = {
  '<style> element': 'the dark design is the only <style>; layout and light colours are inline',
  '@media': 'the dark design (prefers-color-scheme)',
  'Class selector': 'the dark design hooks onto classes',
  'Descendant combinator': 'the dark design reaches the article through its wrapper',
  'Type selector': 'the dark design recolours the elements Markdown writes (p, a, code…) in the article',
  'Attribute selector': "Outlook.com's [data-ogsc]/[data-ogsb] dark rules",
  'color-scheme meta tag': 'tells Apple Mail (macOS) to use the dark design; ignored elsewhere',
  'aria-hidden attribute': 'on the preheader, which display:none hides anyway',
};

const SITE = 'https://newsletter.example.com';
const POSTAL = 'Example Ltd, 1 Main Street, Springfield, USA';
const FEATURES = `Intro with *emphasis*, **strong** words and \`code\`.

## A heading

A paragraph with [a link](https://example.org/a). ![A chart](https://example.org/chart.png){width=300}

- a list item
- another

1. one
2. two

> A quote.

\`\`\`
code block
\`\`\`

| a | b |
| - | - |
| 1 | 2 |

---

The end.
`;

async function emails(): Promise<[string, RenderedEmail][]> {
  const article = articles[0]!;
  const issue = (markdown: string) =>
    renderIssueEmail({
      newsletterName: 'The Weekly Letter',
      siteUrl: SITE,
      title: article.title,
      summary: article.summary,
      date: article.date,
      markdown,
      archiveUrl: `${SITE}/archive/${article.slug}`,
      unsubscribeUrl: `${SITE}/unsubscribe?token=t`,
      postalAddress: POSTAL,
    });
  return [
    [`issue (${article.slug})`, await issue(article.markdown)],
    ['issue (every Markdown feature)', await issue(FEATURES)],
    ['confirmation', await renderConfirmationEmail({ newsletterName: 'The Weekly Letter', siteUrl: SITE, confirmUrl: `${SITE}/confirm?token=t`, postalAddress: POSTAL })],
    [
      'welcome',
      await renderWelcomeEmail({
        newsletterName: 'The Weekly Letter',
        siteUrl: SITE,
        archiveUrl: `${SITE}/archive`,
        latestIssue: { title: article.title, url: `${SITE}/archive/${article.slug}` },
        unsubscribeUrl: `${SITE}/unsubscribe?token=t`,
        name: 'Ada',
        postalAddress: POSTAL,
      }),
    ],
  ];
}

/** The same components, React Email's defaults only: what they emit by themselves. */
function reference(): Promise<string> {
  return render(
    <Html>
      <Head />
      <Body>
        <Preview>A preview line</Preview>
        <Container>
          <Section>
            <Heading as="h1">Title</Heading>
            <Text>Text</Text>
            <Link href="https://example.org/">A link</Link>
            <Button href="https://example.org/" style={{ padding: '12px 24px' }}>
              A button
            </Button>
            <Img src="https://example.org/i.png" alt="An image" width="300" />
            <Hr />
            <Markdown>{FEATURES}</Markdown>
          </Section>
        </Container>
      </Body>
    </Html>,
  );
}

type Found = Map<string, Set<string>>; // feature title → clients

/**
 * caniemail throws "Feature X not found on client" for a CSS property its tables lack for some
 * client (`word-wrap`, which React Email's Markdown code blocks use): such declarations are taken
 * out and reported as not checked, rather than stopping the check.
 */
function check(html: string, unchecked: Set<string>) {
  for (;;) {
    try {
      return caniemail({ clients: CLIENTS, html });
    } catch (error) {
      const property = /^Feature "([a-z-]+)" not found/.exec((error as Error).message)?.[1];
      if (!property || unchecked.has(property)) throw error;
      unchecked.add(property);
      html = html.replace(new RegExp(`(^|[\\s;"'])${property}\\s*:[^;"']*;?`, 'g'), '$1');
    }
  }
}
const notChecked = new Set<string>();

function unsupported(html: string, kind: 'errors' | 'warnings'): { found: Found; dropped: string[] } {
  const { issues } = check(html, notChecked);
  const found: Found = new Map();
  const dropped = new Set<string>();
  for (const [client, list] of issues[kind]) {
    for (const issue of list) {
      const property = /^([a-z-]+)(?: property)?$/.exec(issue.title)?.[1];
      // A CSS property that is not declared as a whole property is a substring match: drop it.
      if (property && !new RegExp(`(^|[\\s;{"'])${property}\\s*:`).test(html) && !/^[a-z-]+ attribute$/.test(issue.title)) {
        dropped.add(issue.title);
        continue;
      }
      const clients = found.get(issue.title) ?? new Set<string>();
      clients.add(client);
      found.set(issue.title, clients);
    }
  }
  return { found, dropped: [...dropped] };
}

const baseline = unsupported(await reference(), 'errors').found;
const inBaseline = (title: string, client: string) => baseline.get(title)?.has(client) ?? false;

console.log(`caniemail: clients ${CLIENTS.join(', ')}`);
console.log(`React Email's components alone: ${[...baseline].map(([t, c]) => `${t} (${c.size})`).join(', ') || 'nothing unsupported'}`);
let failures = 0;
for (const [name, email] of await emails()) {
  const { found, dropped } = unsupported(email.html, 'errors');
  const partial = unsupported(email.html, 'warnings').found;
  const groups = { reactEmail: 0, enhancements: 0, other: [] as string[] };
  for (const [title, clients] of found) {
    for (const client of clients) {
      if (inBaseline(title, client)) groups.reactEmail++;
      else if (ENHANCEMENTS[title]) groups.enhancements++;
      else groups.other.push(`${title} in ${client}`);
    }
  }
  const partialCount = [...partial.values()].reduce((n, c) => n + c.size, 0);
  console.log(
    `${groups.other.length ? 'FAIL' : 'ok  '} ${name}: unsupported (client × feature) ${groups.reactEmail} from React Email's components, ` +
      `${groups.enhancements} dark-mode/preheader enhancements, ${groups.other.length} other; ${partialCount} partly supported` +
      (dropped.length ? `; dropped as substring matches: ${dropped.join(', ')}` : ''),
  );
  for (const o of groups.other) console.log(`     ${o}`);
  failures += groups.other.length;
}
if (notChecked.size) console.log(`not in caniemail's tables, so not checked: ${[...notChecked].join(', ')}`);
console.log('enhancements (a client without them shows the light design, preheader hidden):');
for (const [title, why] of Object.entries(ENHANCEMENTS)) console.log(`  - ${title}: ${why}`);
if (failures) {
  console.error(`\ncheck:email-clients: ${failures} unsupported feature(s) beyond React Email's own components and the dark-mode enhancements.`);
  process.exit(1);
}
