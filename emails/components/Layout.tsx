import type { ReactNode } from "react";
import { Body, Container, Head, Hr, Html, Link, Preview, Section } from "react-email";
import { colors, fontFamily, serifFontFamily } from "./theme";

export interface EmailLayoutProps {
  /** Goes into <title> (use the subject). */
  title: string;
  /** The preheader: the grey line inbox lists show after the subject. */
  preview: string;
  newsletterName: string;
  siteUrl: string;
  /** Small line above the card, e.g. the "View in browser" link. */
  topNote?: ReactNode;
  /** Under the card, on the page background. */
  footer: ReactNode;
  children: ReactNode;
}

/**
 * The shell every email shares: a 600 px white column on a warm light page,
 * the newsletter's name at the top, the footer below.
 *
 * Text and background colours are set on the body and on the column so that
 * clients which invert colours for dark mode do it consistently, and the
 * color-scheme metas tell Apple Mail the email is fine in both schemes.
 */
export function EmailLayout({ title, preview, newsletterName, siteUrl, topNote, footer, children }: EmailLayoutProps) {
  return (
    <Html lang="en" dir="ltr">
      <Head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        <title>{title}</title>
      </Head>
      <Body
        style={{
          backgroundColor: colors.page,
          color: colors.text,
          fontFamily,
          margin: 0,
          padding: "24px 8px",
        }}
      >
        <Preview useTitleTag={false}>{preview}</Preview>
        {topNote ? (
          <Container style={{ maxWidth: "600px", width: "100%", padding: "0 0 12px" }}>{topNote}</Container>
        ) : null}
        <Container
          style={{
            maxWidth: "600px",
            width: "100%",
            backgroundColor: colors.card,
            color: colors.text,
            border: `1px solid ${colors.border}`,
            borderRadius: "8px",
            padding: "24px 24px 32px",
          }}
        >
          <Section>
            <Link
              href={siteUrl}
              data-text-plain=""
              style={{
                color: colors.text,
                fontFamily: serifFontFamily,
                fontSize: "19px",
                fontWeight: 700,
                lineHeight: "1.4",
                textDecoration: "none",
              }}
            >
              {newsletterName}
            </Link>
          </Section>
          <Hr style={{ border: "none", borderTop: `1px solid ${colors.border}`, margin: "16px 0 24px" }} />
          {children}
        </Container>
        <Container data-text-footer="" style={{ maxWidth: "600px", width: "100%", padding: "20px 24px 0" }}>
          {footer}
        </Container>
      </Body>
    </Html>
  );
}
