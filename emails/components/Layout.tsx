import type { ReactNode } from "react";
import { Container, Head, Hr, Html, Link, Preview, Section } from "react-email";
import { darkModeCss } from "./dark-mode";
import { OutlookOnly } from "./OutlookOnly";
import { cls, colors, fontFamily, serifFontFamily } from "./theme";

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

/** The width of the column, and of Outlook for Windows' fixed wrapper around it. */
export const COLUMN_WIDTH = 600;

// Outlook for Windows renders with Word: it ignores max-width (a 100 % table would stretch across
// the window) and scales pixel sizes on high-DPI screens unless told the document is 96 DPI.
// Both are fixed by markup only Outlook reads, the way Ghost's newsletter template does it.
const OFFICE_NAMESPACES = {
  xmlns: "http://www.w3.org/1999/xhtml",
  "xmlns:v": "urn:schemas-microsoft-com:vml",
  "xmlns:o": "urn:schemas-microsoft-com:office:office",
};
const OFFICE_SETTINGS =
  "<xml><o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml>";
const OUTLOOK_COLUMN_OPEN = `<table role="presentation" align="center" width="${COLUMN_WIDTH}" cellpadding="0" cellspacing="0" border="0" style="width:${COLUMN_WIDTH}px"><tr><td>`;
const OUTLOOK_COLUMN_CLOSE = "</td></tr></table>";

/**
 * The shell every email shares: a 600 px column (a white card on a warm page in light mode, a
 * lifted dark card on a near-black page in dark mode), the newsletter's name at the top, the
 * footer below.
 *
 * The page colour is on the body and on a full-width table (Yahoo and AOL drop the body's styles),
 * both with the class the dark styles recolour. The color-scheme metas tell Apple Mail that the
 * email has its own dark design, so it applies it instead of inverting the light one.
 */
export function EmailLayout({ title, preview, newsletterName, siteUrl, topNote, footer, children }: EmailLayoutProps) {
  const column = { maxWidth: `${COLUMN_WIDTH}px`, width: "100%" };
  return (
    <Html lang="en" dir="ltr" {...OFFICE_NAMESPACES}>
      <Head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        <title>{title}</title>
        <OutlookOnly html={OFFICE_SETTINGS} />
        <style>{darkModeCss}</style>
      </Head>
      <body lang="en" dir="ltr" className={cls.page} style={{ backgroundColor: colors.page, color: colors.text, margin: 0, padding: 0 }}>
        {/* Hidden everywhere, Outlook for Windows included (mso-hide), and from screen readers,
            which read the same words as the summary under the title. */}
        <Preview
          useTitleTag={false}
          aria-hidden="true"
          style={{ display: "none", overflow: "hidden", lineHeight: "1px", opacity: 0, maxHeight: 0, maxWidth: 0, msoHide: "all" }}
        >
          {preview}
        </Preview>
        <table
          role="presentation"
          width="100%"
          border={0}
          cellPadding="0"
          cellSpacing="0"
          className={cls.page}
          style={{ backgroundColor: colors.page, color: colors.text }}
        >
          <tbody>
            <tr>
              <td align="center" style={{ padding: "24px 8px", fontFamily }}>
                <OutlookOnly html={OUTLOOK_COLUMN_OPEN} />
                {topNote ? <Container style={{ ...column, padding: "0 0 12px" }}>{topNote}</Container> : null}
                <Container
                  className={cls.card}
                  style={{
                    ...column,
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
                      className={cls.text}
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
                  <Hr className={cls.rule} style={{ border: "none", borderTop: `1px solid ${colors.border}`, margin: "16px 0 24px" }} />
                  {children}
                </Container>
                <Container data-text-footer="" style={{ ...column, padding: "20px 24px 0" }}>
                  {footer}
                </Container>
                <OutlookOnly html={OUTLOOK_COLUMN_CLOSE} />
              </td>
            </tr>
          </tbody>
        </table>
      </body>
    </Html>
  );
}
