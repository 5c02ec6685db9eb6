import { Heading, Link, Text } from "react-email";
import { Button } from "./components/Button";
import { EmailLayout } from "./components/Layout";
import { Footer } from "./components/Footer";
import { cls, greeting, h1, link, text } from "./components/theme";

export interface WelcomeEmailProps {
  newsletterName: string;
  /** PUBLIC_URL, no trailing slash. */
  siteUrl: string;
  /** `${siteUrl}/archive` */
  archiveUrl: string;
  latestIssue?: { title: string; url: string } | null;
  /** Appears verbatim in both the HTML and the text part. */
  unsubscribeUrl: string;
  /** The reader's own page (`/preferences?token=…`). */
  preferencesUrl?: string;
  /** User input: only ever rendered as escaped text. */
  name?: string | null;
  /** The sender's postal address (POSTAL_ADDRESS), in the footer. */
  postalAddress: string;
}

export function welcomeSubject(p: Pick<WelcomeEmailProps, "newsletterName">): string {
  return `Welcome to ${p.newsletterName}`;
}

export default function WelcomeEmail(props: WelcomeEmailProps) {
  const { newsletterName, siteUrl, archiveUrl, latestIssue, unsubscribeUrl, preferencesUrl, name, postalAddress } = props;
  return (
    <EmailLayout
      title={welcomeSubject(props)}
      preview={`You are subscribed to ${newsletterName}. One article a week, straight to your inbox.`}
      newsletterName={newsletterName}
      siteUrl={siteUrl}
      footer={<Footer newsletterName={newsletterName} siteUrl={siteUrl} postalAddress={postalAddress} unsubscribeUrl={unsubscribeUrl} preferencesUrl={preferencesUrl} />}
    >
      <Heading as="h1" className={cls.text} style={{ ...h1, margin: "0 0 16px" }}>
        Welcome to {newsletterName}
      </Heading>
      <Text className={cls.text} style={text}>{greeting(name)}</Text>
      <Text className={cls.text} style={text}>Your subscription is confirmed. Thank you for joining.</Text>
      <Text className={cls.text} style={{ ...text, margin: "0 0 8px" }}>
        <strong>What to expect</strong>
      </Text>
      <ul className={cls.text} style={{ ...text, padding: "0 0 0 22px", margin: "0 0 16px" }}>
        <li style={{ margin: "0 0 6px" }}>One article a week, straight to this inbox.</li>
        <li style={{ margin: "0 0 6px" }}>Every issue also goes into the archive on the web, and into the RSS feed.</li>
        <li style={{ margin: 0 }}>Leaving is easy: every email ends with an unsubscribe link, and one press on the page it opens takes you off the list.</li>
      </ul>
      <Text className={cls.text} style={text}>So that issues do not end up in spam, add this sender to your contacts.</Text>
      {latestIssue ? (
        <>
          <Text className={cls.text} style={text}>
            While you wait for the next one, here is the latest issue: “{latestIssue.title}”.
          </Text>
          <Button href={latestIssue.url} textLabel="Read the latest issue">
            Read the latest issue
          </Button>
          <Text className={cls.text} style={{ ...text, margin: 0 }}>
            Or{" "}
            <Link href={archiveUrl} data-text-label="browse all past issues" className={cls.link} style={link}>
              browse all past issues in the archive
            </Link>
            <span data-skip-in-text="true">.</span>
          </Text>
        </>
      ) : (
        <>
          <Text className={cls.text} style={text}>Your first issue arrives with the next weekly send. From then on, every issue is kept in the archive.</Text>
          <Button href={archiveUrl} textLabel="Browse the archive">
            Browse the archive
          </Button>
        </>
      )}
    </EmailLayout>
  );
}

WelcomeEmail.PreviewProps = {
  newsletterName: "The Weekly Letter",
  siteUrl: "https://newsletter.example.com",
  archiveUrl: "https://newsletter.example.com/archive",
  latestIssue: {
    title: "Gut Health and Skin Clarity: The Hidden Connection",
    url: "https://newsletter.example.com/archive/2026-11-24-gut-health-and-skin-clarity",
  },
  unsubscribeUrl: "https://newsletter.example.com/unsubscribe?token=__UNSUB_TOKEN__",
  preferencesUrl: "https://newsletter.example.com/preferences?token=__PREFERENCES_TOKEN__",
  name: "Ada",
  postalAddress: "Example Ltd, 1 Main Street, Springfield, USA",
} satisfies WelcomeEmailProps;
