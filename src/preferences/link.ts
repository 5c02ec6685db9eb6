// The link to a reader's own page, in the footer of every newsletter email and the welcome email.
import type { Config } from '../config';

export function preferencesUrl(config: Config, token: string): string {
  return `${config.publicUrl}/preferences?token=${encodeURIComponent(token)}`;
}
