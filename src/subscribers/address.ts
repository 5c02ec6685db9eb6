// What a valid email address and name are (CONTRACT "Limits on input"), as plain functions.

export type Invalid = { ok: false; code: string; message: string };
export type Valid<T> = { ok: true; value: T };

const MAX_EMAIL = 254;
const MAX_LOCAL = 64;
const MAX_NAME = 200;
// Dot-atom local part (RFC 5322) without quoted strings: what real mailbox providers hand out.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Trims, lower-cases and checks an address; the domain is returned in ASCII (punycode), so
 * `Ann@Bücher.example` and `ann@xn--bcher-kva.example` are one person.
 */
export function normalizeEmail(input: unknown): Valid<string> | Invalid {
  if (typeof input !== 'string') return invalid('invalid_email', 'Email must be a string like name@example.com.');
  const email = input.trim();
  if (!email) return invalid('invalid_email', 'Enter your email address.');
  if (email.length > MAX_EMAIL) return invalid('invalid_email', `That email address is longer than ${MAX_EMAIL} characters.`);
  const at = email.indexOf('@');
  if (at < 1 || at !== email.lastIndexOf('@')) return invalid('invalid_email', 'An email address has exactly one @, like name@example.com.');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > MAX_LOCAL) return invalid('invalid_email', `The part before the @ is longer than ${MAX_LOCAL} characters.`);
  if (!LOCAL_PART.test(local)) return invalid('invalid_email', 'The part before the @ has characters an email address cannot have.');
  const asciiDomain = toAsciiDomain(domain);
  if (!asciiDomain) return invalid('invalid_email', 'The part after the @ is not a valid domain, like example.com.');
  const normalized = `${local.toLowerCase()}@${asciiDomain}`;
  if (normalized.length > MAX_EMAIL) return invalid('invalid_email', `That email address is longer than ${MAX_EMAIL} characters.`);
  return { ok: true, value: normalized };
}

/**
 * An optional display name: at most 200 characters (code points), one line, no control characters.
 * Refused: C0/C1 controls (CR and LF among them), Unicode line/paragraph separators, bidi overrides
 * and isolates (they make a name display as something else), and broken UTF-16 (lone surrogates).
 * Names are only ever shown through escaping templates and never go into a mail header.
 */
export function normalizeName(input: unknown): Valid<string | null> | Invalid {
  if (input === undefined || input === null) return { ok: true, value: null };
  if (typeof input !== 'string') return invalid('invalid_name', 'Name must be a string.');
  const name = input.trim();
  if (!name) return { ok: true, value: null };
  if (!name.isWellFormed()) return invalid('invalid_name', 'Name contains broken characters.');
  if ([...name].length > MAX_NAME) return invalid('invalid_name', `Name is longer than ${MAX_NAME} characters.`);
  if (NAME_FORBIDDEN.test(name)) return invalid('invalid_name', 'Name must be one line without control characters.');
  return { ok: true, value: name };
}

const NAME_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function toAsciiDomain(domain: string): string | null {
  if (!domain || domain.length > 253 || /[\s/\\?#@:%[\]]/.test(domain)) return null;
  let host: string;
  try {
    // The URL parser applies UTS #46 (IDNA): lower-cases and converts to punycode.
    host = new URL(`http://${domain}/`).hostname;
  } catch {
    return null;
  }
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l))) return null;
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return null; // an IP address, not a domain
  return host;
}

function invalid(code: string, message: string): Invalid {
  return { ok: false, code, message };
}
