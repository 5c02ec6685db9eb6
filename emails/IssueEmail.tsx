import { Heading, Link, Text } from "react-email";
import { ArticleMarkdown } from "./components/ArticleMarkdown";
import { EmailLayout } from "./components/Layout";
import { Footer } from "./components/Footer";
import { cls, colors, eyebrow, fontFamily, formatDate, h1, link, serifFontFamily } from "./components/theme";

export interface IssueEmailProps {
  newsletterName: string;
  /** PUBLIC_URL, no trailing slash. */
  siteUrl: string;
  title: string;
  summary: string;
  /** 'YYYY-MM-DD' */
  date: string;
  /** The article body (Markdown). */
  markdown: string;
  /** `${siteUrl}/archive/${slug}`: the "view in browser" link. */
  archiveUrl: string;
  /**
   * Per recipient. Appears verbatim in both the HTML and the text part, so a
   * caller may render once with an HTML-safe placeholder (no `&`, `<`, `>`, `"`)
   * and `replaceAll` it per recipient.
   */
  unsubscribeUrl: string;
  /** The sender's postal address (POSTAL_ADDRESS), in the footer. */
  postalAddress: string;
  /** Per recipient, like unsubscribeUrl: the reader's own page (`/preferences?token=…`). */
  preferencesUrl?: string;
}

/** The subject of an issue email: the article title, exactly. */
export function issueSubject(p: Pick<IssueEmailProps, "title">): string {
  return p.title;
}

export default function IssueEmail(props: IssueEmailProps) {
  const { newsletterName, siteUrl, title, summary, date, markdown, archiveUrl, unsubscribeUrl, preferencesUrl, postalAddress } = props;
  return (
    <EmailLayout
      title={issueSubject(props)}
      preview={summary}
      newsletterName={newsletterName}
      siteUrl={siteUrl}
      topNote={
        <Text className={cls.muted} style={{ color: colors.muted, fontFamily, fontSize: "13px", lineHeight: "1.5", margin: 0, textAlign: "center" }}>
          <Link href={archiveUrl} data-text-label="View in browser" className={cls.link} style={{ ...link, color: colors.link }}>
            View this issue in your browser
          </Link>
        </Text>
      }
      footer={
        <Footer
          newsletterName={newsletterName}
          siteUrl={siteUrl}
          postalAddress={postalAddress}
          unsubscribeUrl={unsubscribeUrl}
          preferencesUrl={preferencesUrl}
          archiveUrl={`${siteUrl}/archive`}
          forwardNote
          replyNote
        />
      }
    >
      <Text className={cls.muted} style={eyebrow}>
        {formatDate(date)}
      </Text>
      <Heading as="h1" className={cls.text} style={h1}>
        {title}
      </Heading>
      {summary ? (
        <Text
          className={cls.muted}
          style={{
            color: colors.muted,
            fontFamily: serifFontFamily,
            fontSize: "19px",
            lineHeight: "1.45",
            margin: "0 0 28px",
          }}
        >
          {summary}
        </Text>
      ) : null}
      <ArticleMarkdown markdown={markdown} />
    </EmailLayout>
  );
}

// A shortened version of content/2026-11-24-gut-health-and-skin-clarity.md, with the
// Markdown features an article may use (headings, list, link, quote, emphasis, code).
// The template is also bundled into the Worker, so the file itself is not imported.
IssueEmail.PreviewProps = {
  newsletterName: "The Weekly Letter",
  siteUrl: "https://newsletter.example.com",
  title: "Gut Health and Skin Clarity: The Hidden Connection",
  summary:
    "How the gut microbiome, inflammation, nutrients, hydration and stress shape the skin you see in the mirror.",
  date: "2026-11-24",
  archiveUrl: "https://newsletter.example.com/archive/2026-11-24-gut-health-and-skin-clarity",
  unsubscribeUrl: "https://newsletter.example.com/unsubscribe?token=__UNSUB_TOKEN__",
  postalAddress: "Example Ltd, 1 Main Street, Springfield, USA",
  preferencesUrl: "https://newsletter.example.com/preferences?token=__PREFERENCES_TOKEN__",
  markdown: `The human body is a complex system, where various organs and systems are interconnected in ways that often surprise us. One of the most interesting relationships is between **gut health** and **skin clarity**. Many people experience skin issues, including acne, eczema, and rosacea, yet they may not realize that the root of these problems can often be traced back to the gut.

## The microbiome and inflammation

The gut is home to trillions of microorganisms, often referred to as the *gut microbiome*. When the balance of these microorganisms is disrupted, either through poor diet, stress, or antibiotic use, it can lead to a condition known as dysbiosis.

> When the gut microbiome is out of balance, it can trigger systemic inflammation throughout the body — and the skin is often where it shows first.

## What helps

A healthy, balanced diet supports a balanced gut microbiome and promotes skin health. Good places to start:

- fermented foods like yogurt, kefir, and sauerkraut, which carry “good” bacteria;
- fruits, vegetables, whole grains and healthy fats;
- foods high in antioxidants, omega-3 fatty acids, and fiber.

### Stress and hydration

Stress releases cortisol, which can worsen inflammation in the gut. Managing it through relaxation, exercise, or mindfulness helps both — see the [NHS guide to stress](https://www.nhs.uk/mental-health/self-help/guides-tools-and-activities/tips-to-reduce-stress/) for practical steps.

Ultimately, the connection between gut health and skin clarity is profound. By prioritizing gut health through diet, stress management, and healthy lifestyle choices, you can significantly improve your skin’s appearance.`,
} satisfies IssueEmailProps;
