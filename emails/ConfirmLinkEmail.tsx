import { Heading, Link, Text } from "react-email";
import { Button } from "./components/Button";
import { EmailLayout } from "./components/Layout";
import { Footer, SiteLink } from "./components/Footer";
import { cls, greeting, h1, text } from "./components/theme";

// Every email whose point is one link that does one thing after one button press: the sign-up
// confirmation, the new address's confirmation, the one-time links a reader asks for on their page
// (download, erase, move, resubscribe), and the notice to an old address after a move (its undo).
// One component, so the rules hold once: no text typed by whoever asked (these go to inboxes that
// may not have asked), no written-out link (the plain-text part carries it), and the lifetime said
// in words, derived from the constant the link is checked against.

export type ConfirmLinkKind = "confirmation" | "email_change" | "export" | "erase" | "change_email" | "resubscribe" | "moved";

export interface ConfirmLinkEmailProps {
  kind: ConfirmLinkKind;
  newsletterName: string;
  /** PUBLIC_URL, no trailing slash. */
  siteUrl: string;
  /** The button's link; appears verbatim in both the HTML and the text part. */
  url: string;
  /** How long the link works, in ms (the constant its check uses). */
  lifetimeMs: number;
  /** The sender's postal address (POSTAL_ADDRESS), in the footer. */
  postalAddress: string;
  /** email_change: "I did not ask for this", which blocks further requests for this address. */
  notMeUrl?: string;
}

interface Words {
  subject: (name: string) => string;
  preview: (name: string) => string;
  heading: string;
  body: (name: string) => string;
  button: string;
  textLabel: string;
  once: boolean;
  ignore: string;
  reason: (name: string) => string;
}

const WORDS: Record<ConfirmLinkKind, Words> = {
  confirmation: {
    subject: (n) => `Confirm your subscription to ${n}`,
    preview: (n) => `One click to confirm your subscription to ${n}.`,
    heading: "Confirm your subscription",
    body: (n) => `Thanks for signing up for ${n}. Please confirm that this is your address and that you want to receive it: one click and you are in.`,
    button: "Confirm subscription",
    textLabel: "Confirm your subscription",
    once: false,
    ignore: "If you did not ask for this, ignore this email — you will not be added.",
    reason: (n) => `You are receiving this because someone, hopefully you, asked to subscribe this address to ${n} at`,
  },
  email_change: {
    subject: (n) => `Confirm your new address for ${n}`,
    preview: (n) => `One click to receive ${n} at this address.`,
    heading: "Confirm your new address",
    body: (n) => `Please confirm that ${n} should come to this address from now on. Until you do, nothing changes: issues keep going to the old address.`,
    button: "Confirm new address",
    textLabel: "Confirm your new address",
    once: true,
    ignore: "If you did not ask for this, ignore this email: nothing will change.",
    reason: (n) => `You are receiving this because a reader of ${n} at`,
  },
  export: {
    subject: (n) => `Your link to download your data from ${n}`,
    preview: () => "One press downloads everything we hold about you.",
    heading: "Download your data",
    body: () => "You asked for a copy of everything we hold about you. Press the button, then the one on the page it opens, to download it as a JSON file.",
    button: "Download my data",
    textLabel: "Download your data",
    once: true,
    ignore: "If you did not ask for this, ignore this email: nothing happens without the button.",
    reason: (n) => `You are receiving this because someone with the link to your ${n} preferences page at`,
  },
  erase: {
    subject: (n) => `Your link to erase your data from ${n}`,
    preview: () => "One press erases your address and everything we hold about you.",
    heading: "Erase your data",
    body: (n) => `You asked us to erase your data. The button opens a page where one more press deletes your address, your name and the record of every issue we sent you, for good, and you get no more emails from ${n}.`,
    button: "Erase my data",
    textLabel: "Erase your data",
    once: true,
    ignore: "If you did not ask for this, ignore this email: nothing is erased without the button.",
    reason: (n) => `You are receiving this because someone with the link to your ${n} preferences page at`,
  },
  change_email: {
    subject: (n) => `Your link to move your ${n} subscription`,
    preview: () => "One press sends a confirmation to your new address.",
    heading: "Move your subscription",
    body: () => "You asked to move your subscription to another address. Press the button, then the one on the page it opens: we then send a link to the new address, and the move happens once it is opened there.",
    button: "Move my subscription",
    textLabel: "Move your subscription",
    once: true,
    ignore: "If you did not ask for this, ignore this email: your subscription stays here.",
    reason: (n) => `You are receiving this because someone with the link to your ${n} preferences page at`,
  },
  resubscribe: {
    subject: (n) => `Your link to come back to ${n}`,
    preview: () => "One press and the weekly email comes to you again.",
    heading: "Resubscribe",
    body: (n) => `You asked to resubscribe. Press the button, then the one on the page it opens, and ${n} comes to you again from the next issue.`,
    button: "Resubscribe",
    textLabel: "Resubscribe",
    once: true,
    ignore: "If you did not ask for this, ignore this email: you stay unsubscribed.",
    reason: (n) => `You are receiving this because someone with the link to your ${n} preferences page at`,
  },
  moved: {
    subject: (n) => `Your ${n} subscription moved to another address`,
    preview: () => "If that was not you, one press moves it back.",
    heading: "Your subscription moved",
    body: (n) => `Your subscription to ${n} has just moved to another address, confirmed there, and this address gets no more issues. If that was you, there is nothing to do.`,
    button: "Undo the move",
    textLabel: "Undo the move",
    once: true,
    ignore: "If it was not you, press the button: the subscription comes back to this address, and every link to it sent before the move stops working.",
    reason: (n) => `You are receiving this because this address was subscribed to ${n} at`,
  },
};

/** "1 hour", "7 days": a lifetime in the words the email uses. */
export function lifetimeWords(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours < 24) return hours === 1 ? "1 hour" : `${hours} hours`;
  const days = Math.round(hours / 24);
  return days === 1 ? "1 day" : `${days} days`;
}

export function confirmLinkSubject(p: Pick<ConfirmLinkEmailProps, "kind" | "newsletterName">): string {
  return WORDS[p.kind].subject(p.newsletterName);
}

export default function ConfirmLinkEmail(props: ConfirmLinkEmailProps) {
  const { kind, newsletterName, siteUrl, url, lifetimeMs, postalAddress, notMeUrl } = props;
  const w = WORDS[kind];
  return (
    <EmailLayout
      title={confirmLinkSubject(props)}
      preview={w.preview(newsletterName)}
      newsletterName={newsletterName}
      siteUrl={siteUrl}
      footer={
        <Footer
          newsletterName={newsletterName}
          siteUrl={siteUrl}
          postalAddress={postalAddress}
          reason={
            <>
              {w.reason(newsletterName)} <SiteLink siteUrl={siteUrl} />
              {kind === "email_change" ? " asked to move their subscription to this address." : kind === "confirmation" || kind === "moved" ? "." : " asked for it."}
            </>
          }
        />
      }
    >
      <Heading as="h1" className={cls.text} style={{ ...h1, margin: "0 0 16px" }}>
        {w.heading}
      </Heading>
      <Text className={cls.text} style={text}>{greeting(null)}</Text>
      <Text className={cls.text} style={text}>{w.body(newsletterName)}</Text>
      <Button href={url} textLabel={w.textLabel}>
        {w.button}
      </Button>
      {/* No written-out copy of the link: on a phone it only wraps with word-break, which Yahoo
          does not support. The button is plain HTML; the plain-text part carries the full link. */}
      <Text className={cls.text} style={text}>
        {w.once ? `This link works once and expires in ${lifetimeWords(lifetimeMs)}.` : `This link expires in ${lifetimeWords(lifetimeMs)}.`}
      </Text>
      <Text className={cls.text} style={{ ...text, margin: 0 }}>
        {w.ignore}
      </Text>
      {notMeUrl ? (
        <Text className={cls.text} style={{ ...text, margin: "16px 0 0" }}>
          Keep getting these without asking?{" "}
          <Link href={notMeUrl} data-text-label="I did not ask for this">
            I did not ask for this
          </Link>{" "}
          stops every further request to move a subscription to this address.
        </Text>
      ) : null}
    </EmailLayout>
  );
}

ConfirmLinkEmail.PreviewProps = {
  kind: "email_change",
  newsletterName: "The Weekly Letter",
  siteUrl: "https://newsletter.example.com",
  url: "https://newsletter.example.com/preferences/confirm-email?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
  lifetimeMs: 7 * 24 * 60 * 60 * 1000,
  postalAddress: "Example Ltd, 1 Main Street, Springfield, USA",
  notMeUrl: "https://newsletter.example.com/preferences/not-me?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
} satisfies ConfirmLinkEmailProps;
