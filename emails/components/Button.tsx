import type { ReactNode } from "react";
import { Button as EmailButton, Section } from "react-email";
import { cls, colors, fontFamily } from "./theme";

export interface ButtonProps {
  href: string;
  children: ReactNode;
  /** In the plain-text part the button becomes "{textLabel}: {href}". */
  textLabel: string;
}

/**
 * A bulletproof call-to-action button: React Email's Button, a link with padding that Outlook for
 * Windows (which ignores padding on links) gets back through its mso-font-width spacers, so it
 * renders as a button there too; works without images.
 */
export function Button({ href, children, textLabel }: ButtonProps) {
  return (
    <Section style={{ padding: "8px 0 24px" }}>
      <EmailButton
        href={href}
        data-text-label={textLabel}
        className={cls.button}
        style={{
          backgroundColor: colors.buttonBg,
          color: colors.buttonText,
          fontFamily,
          fontSize: "16px",
          fontWeight: 600,
          borderRadius: "6px",
          padding: "12px 24px",
          textDecoration: "none",
        }}
      >
        {children}
      </EmailButton>
    </Section>
  );
}
