import type { ReactNode } from "react";
import { Link, Text } from "react-email";
import { link, smallMuted } from "./theme";

export interface FooterProps {
  newsletterName: string;
  siteUrl: string;
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
}

export function Footer({ newsletterName, siteUrl, reason, unsubscribeUrl, preferencesUrl, archiveUrl, forwardNote }: FooterProps) {
  return (
    <>
      <Text style={smallMuted}>
        {reason ?? (
          <>
            You are receiving this because you subscribed to {newsletterName} at <SiteLink siteUrl={siteUrl} />.
          </>
        )}
      </Text>
      {unsubscribeUrl ? (
        <Text style={smallMuted}>
          <Link href={unsubscribeUrl} data-text-label="Unsubscribe" style={{ ...link, fontWeight: 600 }}>
            Unsubscribe
          </Link>{" "}
          <span data-skip-in-text="true">at any time with one click.</span>
        </Text>
      ) : null}
      {preferencesUrl ? (
        <Text style={smallMuted}>
          <Link href={preferencesUrl} data-text-label="Manage your subscription" style={link}>
            Manage your subscription
          </Link>
          <span data-skip-in-text="true">: take a break, change your address or download your data.</span>
        </Text>
      ) : null}
      {forwardNote ? (
        <Text style={smallMuted}>
          Forwarded this email?{" "}
          <Link href={`${siteUrl}/`} data-text-label="Subscribe" style={link}>
            Subscribe here
          </Link>
          <span data-skip-in-text="true"> to get the next one.</span>
        </Text>
      ) : null}
      {archiveUrl ? (
        <Text style={smallMuted}>
          <Link href={archiveUrl} data-text-label="Past issues" style={link}>
            Read past issues
          </Link>
          <span data-skip-in-text="true"> in the archive.</span>
        </Text>
      ) : null}
    </>
  );
}

/** The site's address as its own link text (the text part then shows it once). */
export function SiteLink({ siteUrl }: { siteUrl: string }) {
  return (
    <Link href={siteUrl} style={link}>
      {siteUrl}
    </Link>
  );
}
