import { Heading, Link, Text } from "react-email";
import { Button } from "./components/Button";
import { EmailLayout } from "./components/Layout";
import { Footer, SiteLink } from "./components/Footer";
import { colors, greeting, h1, link, smallMuted, text } from "./components/theme";

export interface EmailChangeEmailProps {
  newsletterName: string;
  /** PUBLIC_URL, no trailing slash. */
  siteUrl: string;
  /** `${siteUrl}/preferences/confirm-email?token=…`; appears verbatim in both the HTML and the text part. */
  confirmUrl: string;
}
// Sent to the new address before anything moves. Like the sign-up confirmation it carries nothing
// typed by whoever asked (neither the old address nor a name): the new address has not consented yet.

export function emailChangeSubject(p: Pick<EmailChangeEmailProps, "newsletterName">): string {
  return `Confirm your new address for ${p.newsletterName}`;
}

export default function EmailChangeEmail(props: EmailChangeEmailProps) {
  const { newsletterName, siteUrl, confirmUrl } = props;
  return (
    <EmailLayout
      title={emailChangeSubject(props)}
      preview={`One click to receive ${newsletterName} at this address.`}
      newsletterName={newsletterName}
      siteUrl={siteUrl}
      footer={
        <Footer
          newsletterName={newsletterName}
          siteUrl={siteUrl}
          reason={
            <>
              You are receiving this because a reader of {newsletterName} at <SiteLink siteUrl={siteUrl} /> asked to move
              their subscription to this address.
            </>
          }
        />
      }
    >
      <Heading as="h1" style={{ ...h1, margin: "0 0 16px" }}>
        Confirm your new address
      </Heading>
      <Text style={text}>{greeting(null)}</Text>
      <Text style={text}>
        Please confirm that {newsletterName} should come to this address from now on. Until you do, nothing
        changes: issues keep going to the old address.
      </Text>
      <Button href={confirmUrl} textLabel="Confirm your new address">
        Confirm new address
      </Button>
      <Text style={smallMuted} data-skip-in-text="true">
        Or copy and paste this link into your browser:
      </Text>
      <Text style={{ ...smallMuted, margin: "0 0 24px", wordBreak: "break-all" }} data-skip-in-text="true">
        <Link href={confirmUrl} style={{ ...link, color: colors.link }}>
          {confirmUrl}
        </Link>
      </Text>
      <Text style={text}>This link works once and expires in 7 days.</Text>
      <Text style={{ ...text, margin: 0 }}>If you did not ask for this, ignore this email: nothing will change.</Text>
    </EmailLayout>
  );
}

EmailChangeEmail.PreviewProps = {
  newsletterName: "The Weekly Letter",
  siteUrl: "https://newsletter.example.com",
  confirmUrl: "https://newsletter.example.com/preferences/confirm-email?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
} satisfies EmailChangeEmailProps;
