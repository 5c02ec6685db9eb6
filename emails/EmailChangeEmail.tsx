import { Heading, Text } from "react-email";
import { Button } from "./components/Button";
import { EmailLayout } from "./components/Layout";
import { Footer, SiteLink } from "./components/Footer";
import { cls, greeting, h1, text } from "./components/theme";

export interface EmailChangeEmailProps {
  newsletterName: string;
  /** PUBLIC_URL, no trailing slash. */
  siteUrl: string;
  /** `${siteUrl}/preferences/confirm-email?token=…`; appears verbatim in both the HTML and the text part. */
  confirmUrl: string;
  /** The sender's postal address (POSTAL_ADDRESS), in the footer. */
  postalAddress: string;
}
// Sent to the new address before anything moves. Like the sign-up confirmation it carries nothing
// typed by whoever asked (neither the old address nor a name): the new address has not consented yet.

export function emailChangeSubject(p: Pick<EmailChangeEmailProps, "newsletterName">): string {
  return `Confirm your new address for ${p.newsletterName}`;
}

export default function EmailChangeEmail(props: EmailChangeEmailProps) {
  const { newsletterName, siteUrl, confirmUrl, postalAddress } = props;
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
          postalAddress={postalAddress}
          reason={
            <>
              You are receiving this because a reader of {newsletterName} at <SiteLink siteUrl={siteUrl} /> asked to move
              their subscription to this address.
            </>
          }
        />
      }
    >
      <Heading as="h1" className={cls.text} style={{ ...h1, margin: "0 0 16px" }}>
        Confirm your new address
      </Heading>
      <Text className={cls.text} style={text}>{greeting(null)}</Text>
      <Text className={cls.text} style={text}>
        Please confirm that {newsletterName} should come to this address from now on. Until you do, nothing
        changes: issues keep going to the old address.
      </Text>
      <Button href={confirmUrl} textLabel="Confirm your new address">
        Confirm new address
      </Button>
      {/* As in the sign-up confirmation: no written-out link (it would need word-break, which Yahoo
          lacks); the plain-text part carries the full link. */}
      <Text className={cls.text} style={text}>This link works once and expires in 7 days.</Text>
      <Text className={cls.text} style={{ ...text, margin: 0 }}>If you did not ask for this, ignore this email: nothing will change.</Text>
    </EmailLayout>
  );
}

EmailChangeEmail.PreviewProps = {
  newsletterName: "The Weekly Letter",
  siteUrl: "https://newsletter.example.com",
  confirmUrl: "https://newsletter.example.com/preferences/confirm-email?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
  postalAddress: "Example Ltd, 1 Main Street, Springfield, USA",
} satisfies EmailChangeEmailProps;
