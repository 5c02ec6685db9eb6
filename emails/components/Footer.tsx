import type { ReactNode } from "react";
import { Link, Text } from "react-email";
import { cls, link, smallMuted } from "./theme";

export interface FooterProps {
  newsletterName: string;
  siteUrl: string;
  /** The sender's postal address (CAN-SPAM): the last line of every footer, in both parts. */
  postalAddress: string;
  /** Why the reader gets this email; defaults to "you subscribed to … at siteUrl". */
  reason?: ReactNode;
  /** Shown as a visible "Unsubscribe" link when given. Written out in full in the text part. */
  unsubscribeUrl?: string;
  /** The reader's own page (`/preferences?token=…`): a "Manage your subscription" link when given. */
  preferencesUrl?: string;
  /** Shown as a "Read past issues" link when given. */
  archiveUrl?: string;
  /** "Forwarded this email? Subscribe here": for emails that get passed on (the issues). */
  forwardNote?: boolean;
  /** "Replies to this email reach the author": for emails a reader may want to answer (the issues). */
  replyNote?: boolean;
}

const muted = { className: cls.muted, style: smallMuted };
const linkProps = { className: cls.link, style: link };

export function Footer({ newsletterName, siteUrl, postalAddress, reason, unsubscribeUrl, preferencesUrl, archiveUrl, forwardNote, replyNote }: FooterProps) {
  return (
    <>
      <Text {...muted}>
        {reason ?? (
          <>
            You are receiving this because you subscribed to {newsletterName} at <SiteLink siteUrl={siteUrl} />.
          </>
        )}
      </Text>
      {replyNote ? <Text {...muted}>Replies to this email reach the author: just press reply.</Text> : null}
      {unsubscribeUrl ? (
        // The link opens a page with one button (mail scanners open links; only a press unsubscribes),
        // so the words say a press, not a click. (RFC 8058 one-click works from the mail client's own button.)
        <Text {...muted}>
          <Link href={unsubscribeUrl} data-text-label="Unsubscribe" className={cls.link} style={{ ...link, fontWeight: 600 }}>
            Unsubscribe
          </Link>{" "}
          (a page with one button: press it and you are off the list at once)
        </Text>
      ) : null}
      {preferencesUrl ? (
        <Text {...muted}>
          <Link href={preferencesUrl} data-text-label="Manage your subscription" {...linkProps}>
            Manage your subscription
          </Link>
          <span data-skip-in-text="true">: take a break, change your address or download your data.</span>
        </Text>
      ) : null}
      {forwardNote ? (
        <Text {...muted}>
          Forwarded this email?{" "}
          <Link href={`${siteUrl}/`} data-text-label="Subscribe" {...linkProps}>
            Subscribe here
          </Link>
          <span data-skip-in-text="true"> to get the next one.</span>
        </Text>
      ) : null}
      {archiveUrl ? (
        <Text {...muted}>
          <Link href={archiveUrl} data-text-label="Past issues" {...linkProps}>
            Read past issues
          </Link>
          <span data-skip-in-text="true"> in the archive.</span>
        </Text>
      ) : null}
      <Text {...muted} style={{ ...smallMuted, margin: "16px 0 0" }}>
        {newsletterName} · {postalAddress}
      </Text>
    </>
  );
}

/** The site's address as its own link text (the text part then shows it once). */
export function SiteLink({ siteUrl }: { siteUrl: string }) {
  return (
    <Link href={siteUrl} {...linkProps}>
      {siteUrl}
    </Link>
  );
}
