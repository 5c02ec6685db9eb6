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
}

export function Footer({ newsletterName, siteUrl, reason, unsubscribeUrl }: FooterProps) {
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
