import { Heading, Text } from "react-email";
import { Button } from "./components/Button";
import { EmailLayout } from "./components/Layout";
import { Footer, SiteLink } from "./components/Footer";
import { cls, greeting, h1, text } from "./components/theme";

export interface ConfirmationEmailProps {
  newsletterName: string;
  /** PUBLIC_URL, no trailing slash. */
  siteUrl: string;
  /** `${siteUrl}/confirm?token=…`; appears verbatim in both the HTML and the text part. */
  confirmUrl: string;
  /** The sender's postal address (POSTAL_ADDRESS), in the footer. */
  postalAddress: string;
}
// No name, nor anything else from the sign-up form: this email goes to an address that has not
// consented yet, so whoever filled in the form must not be able to put words in it.

/** How long a confirmation link stays valid (the text of the email says so). */
export const CONFIRMATION_LINK_DAYS = 7;

export function confirmationSubject(p: Pick<ConfirmationEmailProps, "newsletterName">): string {
  return `Confirm your subscription to ${p.newsletterName}`;
}

export default function ConfirmationEmail(props: ConfirmationEmailProps) {
  const { newsletterName, siteUrl, confirmUrl, postalAddress } = props;
  return (
    <EmailLayout
      title={confirmationSubject(props)}
      preview={`One click to confirm your subscription to ${newsletterName}.`}
      newsletterName={newsletterName}
      siteUrl={siteUrl}
      footer={
        <Footer
          newsletterName={newsletterName}
          siteUrl={siteUrl}
          postalAddress={postalAddress}
          reason={
            <>
              You are receiving this because someone, hopefully you, asked to subscribe this address to{" "}
              {newsletterName} at <SiteLink siteUrl={siteUrl} />.
            </>
          }
        />
      }
    >
      <Heading as="h1" className={cls.text} style={{ ...h1, margin: "0 0 16px" }}>
        Confirm your subscription
      </Heading>
      <Text className={cls.text} style={text}>{greeting(null)}</Text>
      <Text className={cls.text} style={text}>
        Thanks for signing up for {newsletterName}. Please confirm that this is your address and that you want
        to receive it: one click and you are in.
      </Text>
      <Button href={confirmUrl} textLabel="Confirm your subscription">
        Confirm subscription
      </Button>
      {/* No written-out copy of the link here: on a phone it only wraps with word-break, which
          Yahoo does not support (the column would overflow). The button is plain HTML and works
          in every client; the plain-text part carries the full link for copying. */}
      <Text className={cls.text} style={text}>This link expires in {CONFIRMATION_LINK_DAYS} days.</Text>
      <Text className={cls.text} style={{ ...text, margin: 0 }}>
        If you did not ask for this, ignore this email — you will not be added.
      </Text>
    </EmailLayout>
  );
}

ConfirmationEmail.PreviewProps = {
  newsletterName: "The Weekly Letter",
  siteUrl: "https://newsletter.example.com",
  confirmUrl: "https://newsletter.example.com/confirm?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
  postalAddress: "Example Ltd, 1 Main Street, Springfield, USA",
} satisfies ConfirmationEmailProps;
