// Bindings and configuration: read and validated in one place, once per request or event.
// A deployed Worker with a required secret missing throws ConfigError (logged, 5xx, nothing sent);
// it never falls back to a dev default.
import { DEFAULT_SEND_SCHEDULE, DEFAULT_TIMEZONE, isTimeZone, parseSendSchedule, type WeeklySlot } from './issues/slot';
import type { QueueMessage } from './messages';
import type { WebhookMessage } from './webhooks/out/notify';

export interface Env {
  DB: D1Database;
  SEND_QUEUE: Queue<QueueMessage>;
  /** Outgoing webhook deliveries (src/webhooks/out/). */
  WEBHOOK_QUEUE: Queue<WebhookMessage>;
  SUBSCRIBE_LIMITER?: RateLimit;
  /** Images of articles (POST /api/media, GET /media/:name). */
  MEDIA: R2Bucket;
  PUBLIC_URL?: string;
  NEWSLETTER_NAME?: string;
  NEWSLETTER_TAGLINE?: string;
  FROM_EMAIL?: string;
  REPLY_TO?: string;
  POSTAL_ADDRESS?: string;
  EMAIL_TRANSPORT?: string;
  RESEND_API_KEY?: string;
  RESEND_BASE_URL?: string;
  SEND_RATE_PER_SECOND?: string;
  TOKEN_SECRET?: string;
  /** Earlier TOKEN_SECRETs (comma-separated), still accepted when verifying links after a rotation. */
  TOKEN_SECRET_PREVIOUS?: string;
  ADMIN_TOKEN?: string;
  RESEND_WEBHOOK_SECRET?: string;
  TURNSTILE_SITE_KEY?: string;
  TURNSTILE_SECRET_KEY?: string;
  TURNSTILE_VERIFY_URL?: string;
  CANARY_PERCENT?: string;
  CANARY_WAIT_MINUTES?: string;
  MAX_BOUNCE_RATE?: string;
  MAX_COMPLAINT_RATE?: string;
  MIN_BOUNCES_TO_PAUSE?: string;
  MIN_COMPLAINTS_TO_PAUSE?: string;
  /** Comma-separated origins whose pages may carry a sign-up form (plain, script or iframe). */
  SIGNUP_ORIGINS?: string;
  /** The weekly slot, `thursday 09:00`, in TIMEZONE (IANA). */
  SEND_SCHEDULE?: string;
  TIMEZONE?: string;
}

export type Transport = 'outbox' | 'resend';

export interface Config {
  publicUrl: string;
  newsletterName: string;
  tagline: string;
  fromEmail: string;
  /** REPLY_TO, else the FROM_EMAIL address: replies reach the author. */
  replyTo: string;
  /** The sender's postal address (CAN-SPAM), in the footer of every email. */
  postalAddress: string;
  transport: Transport;
  resendApiKey: string | null;
  resendBaseUrl: string | null;
  sendRatePerSecond: number;
  /** Share of a send's readers (percent) that goes first, spread across the list; 0: no canary. */
  canaryPercent: number;
  /** How long the rest of a send waits after its canary, while bounces and complaints come in. */
  canaryWaitMs: number;
  /** Past these shares of the readers sent so far (hard bounces, complaints), a send pauses. */
  maxBounceRate: number;
  maxComplaintRate: number;
  /** ...and past these counts too: a handful of hostile readers cannot stop a newsletter alone. */
  minBouncesToPause: number;
  minComplaintsToPause: number;
  /** When the oldest ready article goes unless the writer scheduled it (SEND_SCHEDULE in TIMEZONE). */
  weeklySlot: WeeklySlot;
  /** Signs new links. */
  tokenSecret: string;
  /** Verify links: the current secret first, then the previous ones (rotation keeps old links working). */
  tokenSecrets: readonly string[];
  adminToken: string | null;
  webhookSecret: string | null;
  turnstile: { siteKey: string; secretKey: string; verifyUrl: string } | null;
  /**
   * SIGNUP_ORIGINS: origins (`scheme://host[:port]`, as a browser serialises them in `Origin`) where a
   * sign-up form may live besides this service's own pages. Compared exactly, never as a pattern.
   */
  signupOrigins: readonly string[];
  /** PUBLIC_URL points at this machine: the dev-only defaults are allowed. */
  isLocalDev: boolean;
  /**
   * TOKEN_SECRET was not set and the public dev key stands in. Allowed only while PUBLIC_URL is
   * local; the HTTP layer also refuses it when a request arrives at a host that is not this
   * machine (a Worker deployed with wrangler.toml's localhost PUBLIC_URL left in place).
   */
  usesDevTokenSecret: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Known to everyone, so refused anywhere but local dev. */
export const DEV_TOKEN_SECRET = 'dev-only-token-secret-never-use-in-production-0123456789';
/** HMAC-SHA256 keys shorter than its 32-byte output weaken it; a deployed Worker needs at least this. */
export const MIN_TOKEN_SECRET_BYTES = 32;
const DEFAULT_PUBLIC_URL = 'http://localhost:8787';
/** MIN_BOUNCES_TO_PAUSE and MIN_COMPLAINTS_TO_PAUSE when unset. */
export const DEFAULT_MIN_BOUNCES_TO_PAUSE = 5;
export const DEFAULT_MIN_COMPLAINTS_TO_PAUSE = 3;
const TURNSTILE_VERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';

const cache = new WeakMap<object, Config>();

/** The validated configuration for this env (memoised per env object). */
export function getConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    config = readConfig(env);
    cache.set(env, config);
  }
  return config;
}

export function readConfig(env: Env): Config {
  const publicUrl = parsePublicUrl(env.PUBLIC_URL ?? DEFAULT_PUBLIC_URL);
  const isLocalDev = isLoopbackHost(new URL(publicUrl).hostname);
  const tokenSecret = readTokenSecret(env.TOKEN_SECRET, isLocalDev);
  const resendApiKey = nonEmpty(env.RESEND_API_KEY);

  // The outbox is the local default only: a public site without a Resend key is a mistake to
  // report, not a reason to quietly capture every issue and never send it.
  const transportName = nonEmpty(env.EMAIL_TRANSPORT) ?? (resendApiKey ? 'resend' : isLocalDev ? 'outbox' : null);
  if (transportName === null) {
    throw new ConfigError(
      'RESEND_API_KEY is not set: run `npx wrangler secret put RESEND_API_KEY` (or set EMAIL_TRANSPORT=outbox to capture mail without sending it, e.g. on a staging site).',
    );
  }
  if (transportName !== 'outbox' && transportName !== 'resend') {
    throw new ConfigError(`EMAIL_TRANSPORT must be "outbox" or "resend", got "${transportName}".`);
  }
  if (transportName === 'resend' && !resendApiKey) {
    throw new ConfigError('EMAIL_TRANSPORT is "resend" but RESEND_API_KEY is not set: run `npx wrangler secret put RESEND_API_KEY`.');
  }

  const rate = Number(env.SEND_RATE_PER_SECOND ?? '2');
  if (!Number.isFinite(rate) || rate <= 0 || rate > 1000) {
    throw new ConfigError(`SEND_RATE_PER_SECOND must be a number between 0 and 1000, got "${env.SEND_RATE_PER_SECOND}".`);
  }

  const canaryPercent = readNumber('CANARY_PERCENT', env.CANARY_PERCENT, 2, 0, 100);
  const canaryWaitMinutes = readNumber('CANARY_WAIT_MINUTES', env.CANARY_WAIT_MINUTES, 30, 0, 12 * 60);
  const maxBounceRate = readNumber('MAX_BOUNCE_RATE', env.MAX_BOUNCE_RATE, 0.02, 0, 1);
  const maxComplaintRate = readNumber('MAX_COMPLAINT_RATE', env.MAX_COMPLAINT_RATE, 0.001, 0, 1);
  const minBouncesToPause = readCount('MIN_BOUNCES_TO_PAUSE', env.MIN_BOUNCES_TO_PAUSE, DEFAULT_MIN_BOUNCES_TO_PAUSE);
  const minComplaintsToPause = readCount('MIN_COMPLAINTS_TO_PAUSE', env.MIN_COMPLAINTS_TO_PAUSE, DEFAULT_MIN_COMPLAINTS_TO_PAUSE);

  const fromEmail = nonEmpty(env.FROM_EMAIL) ?? 'Newsletter <newsletter@example.com>';
  for (const [name, value] of [['FROM_EMAIL', fromEmail], ['REPLY_TO', env.REPLY_TO ?? '']] as const) {
    if (/[\r\n]/.test(value)) throw new ConfigError(`${name} must be on one line.`);
  }

  const postalAddress = readPostalAddress(env.POSTAL_ADDRESS, isLocalDev);
  const weeklySlot = readWeeklySlot(env.SEND_SCHEDULE, env.TIMEZONE);

  const signupOrigins = readSignupOrigins(env.SIGNUP_ORIGINS, isLocalDev, new URL(publicUrl).origin);

  const siteKey = nonEmpty(env.TURNSTILE_SITE_KEY);
  const secretKey = nonEmpty(env.TURNSTILE_SECRET_KEY);

  if (!isLocalDev) {
    const problems = productionProblems({
      publicUrl,
      fromEmail: env.FROM_EMAIL,
      adminToken: env.ADMIN_TOKEN,
      postalAddress: env.POSTAL_ADDRESS,
      transport: transportName,
      webhookSecret: env.RESEND_WEBHOOK_SECRET ?? null,
    });
    if (problems.length > 0) throw new ConfigError(problems.join(' '));
  }

  return {
    publicUrl,
    newsletterName: nonEmpty(env.NEWSLETTER_NAME) ?? 'The Weekly Letter',
    tagline: nonEmpty(env.NEWSLETTER_TAGLINE) ?? 'One thoughtful article a week on health, food and everyday well-being.',
    fromEmail,
    replyTo: nonEmpty(env.REPLY_TO) ?? bareAddress(fromEmail),
    postalAddress,
    transport: transportName,
    resendApiKey,
    resendBaseUrl: nonEmpty(env.RESEND_BASE_URL),
    sendRatePerSecond: rate,
    canaryPercent,
    canaryWaitMs: Math.round(canaryWaitMinutes * 60_000),
    maxBounceRate,
    maxComplaintRate,
    minBouncesToPause,
    minComplaintsToPause,
    weeklySlot,
    tokenSecret,
    tokenSecrets: [tokenSecret, ...readPreviousTokenSecrets(env.TOKEN_SECRET_PREVIOUS, isLocalDev)],
    usesDevTokenSecret: tokenSecret === DEV_TOKEN_SECRET,
    adminToken: nonEmpty(env.ADMIN_TOKEN),
    webhookSecret: nonEmpty(env.RESEND_WEBHOOK_SECRET),
    signupOrigins,
    turnstile: siteKey && secretKey ? { siteKey, secretKey, verifyUrl: nonEmpty(env.TURNSTILE_VERIFY_URL) ?? TURNSTILE_VERIFY_URL } : null,
    isLocalDev,
  };
}

/** A number setting within [min, max] (fractions allowed), or its default when unset. */
function readNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  const text = nonEmpty(raw);
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${raw}" (unset it for the default, ${fallback}).`);
  }
  return value;
}

/** A whole number of at least 1 (a count), or its default when unset. */
function readCount(name: string, raw: string | undefined, fallback: number): number {
  const text = nonEmpty(raw);
  if (text === null) return fallback;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < 1) throw new ConfigError(`${name} must be a whole number of at least 1, got "${raw}" (unset it for the default, ${fallback}).`);
  return Number(text);
}

/** SEND_SCHEDULE and TIMEZONE: the weekly slot (src/issues/slot.ts). */
function readWeeklySlot(scheduleRaw: string | undefined, zoneRaw: string | undefined): WeeklySlot {
  const schedule = parseSendSchedule(nonEmpty(scheduleRaw) ?? DEFAULT_SEND_SCHEDULE);
  if (!schedule.ok) throw new ConfigError(`${schedule.message} Unset it for the default, "${DEFAULT_SEND_SCHEDULE}".`);
  const timeZone = nonEmpty(zoneRaw) ?? DEFAULT_TIMEZONE;
  if (!isTimeZone(timeZone)) {
    throw new ConfigError(`TIMEZONE must be an IANA time zone name like "Europe/Berlin" or "America/New_York", got "${timeZone}" (unset it for UTC).`);
  }
  return { days: schedule.days, hour: schedule.hour, minute: schedule.minute, timeZone };
}

/** Shown in every footer while POSTAL_ADDRESS is unset in local dev: visibly a placeholder. */
export const PLACEHOLDER_POSTAL_ADDRESS = '1 Example Street, Example Town (placeholder: set POSTAL_ADDRESS)';
const MAX_POSTAL_ADDRESS = 300;

/**
 * CAN-SPAM wants a valid physical postal address in every commercial email, so a deployed Worker
 * without one is a configuration error. Lines of a multi-line value are joined with ", ".
 */
function readPostalAddress(raw: string | undefined, isLocalDev: boolean): string {
  const address = (raw ?? '').split(/\r?\n|\r/).map((line) => line.trim()).filter(Boolean).join(', ');
  // Missing outside local dev: productionProblems() reports it.
  if (!address) return isLocalDev ? PLACEHOLDER_POSTAL_ADDRESS : '';
  if (address.length > MAX_POSTAL_ADDRESS) throw new ConfigError(`POSTAL_ADDRESS is longer than ${MAX_POSTAL_ADDRESS} characters.`);
  return address;
}

/** `Name <addr@domain>` → `addr@domain`; a bare address stays as it is. */
function bareAddress(mailbox: string): string {
  return /<([^<>]+)>\s*$/.exec(mailbox)?.[1]?.trim() ?? mailbox;
}

/** The admin API's bearer token: guessable below this (CONTRACT: at least 32 characters outside local dev). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
/** Documentation domains (RFC 2606): mail from them cannot be sent (Resend refuses every batch). */
const PLACEHOLDER_FROM_DOMAIN = /(^|\.)example\.(com|org|net)$/;

/**
 * Settings a site outside local dev must not run with, each with its fix; none is a problem locally.
 * One home for these rules: readConfig refuses to serve with any of them (500 not_configured, the
 * message in the log), and `npm run deploy` (scripts/deploy.ts) refuses to deploy them.
 */
export function productionProblems(settings: {
  publicUrl?: string | null;
  fromEmail?: string | null;
  adminToken?: string | null;
  postalAddress?: string | null;
  /** The transport in use, when known (`npm run deploy` cannot always tell). */
  transport?: Transport;
  /** RESEND_WEBHOOK_SECRET: null when known to be unset, undefined when not known (a secret stored earlier). */
  webhookSecret?: string | null;
}): string[] {
  const problems: string[] = [];
  const publicUrl = nonEmpty(settings.publicUrl ?? undefined);
  if (!publicUrl || !publicUrl.toLowerCase().startsWith('https://')) {
    problems.push(
      `PUBLIC_URL must start with https:// outside local dev (got "${publicUrl ?? ''}"): every link carries a token, and RFC 8058 one-click unsubscribe needs HTTPS. Set PUBLIC_URL = "https://…" in [vars] of wrangler.toml.`,
    );
  }
  const from = nonEmpty(settings.fromEmail ?? undefined);
  const fromDomain = from ? /@([^@\s>]+)>?\s*$/.exec(from)?.[1]?.toLowerCase().replace(/\.$/, '') : undefined;
  if (!from || !fromDomain) {
    problems.push('FROM_EMAIL is not set (or has no address): set FROM_EMAIL = "Name <news@your-domain>" in [vars] of wrangler.toml, on a domain verified at Resend.');
  } else if (PLACEHOLDER_FROM_DOMAIN.test(fromDomain)) {
    problems.push(`FROM_EMAIL is on ${fromDomain}, a placeholder domain nothing can be sent from: set FROM_EMAIL = "Name <news@your-domain>" in [vars] of wrangler.toml, on a domain verified at Resend.`);
  }
  if (!nonEmpty(settings.postalAddress ?? undefined)) {
    problems.push(
      'POSTAL_ADDRESS is not set: every newsletter email must show your postal address (CAN-SPAM). Set it in [vars] of wrangler.toml, e.g. POSTAL_ADDRESS = "Example Ltd, 1 Main Street, Springfield, USA".',
    );
  }
  const adminToken = nonEmpty(settings.adminToken ?? undefined);
  const adminFix = 'generate one with `openssl rand -base64 32` and set it with `npx wrangler secret put ADMIN_TOKEN`';
  if (adminToken && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    problems.push(`ADMIN_TOKEN is ${adminToken.length} characters long; it must be at least ${MIN_ADMIN_TOKEN_LENGTH}: ${adminFix}.`);
  } else if (adminToken && looksLikePlaceholder(adminToken)) {
    problems.push(`ADMIN_TOKEN does not look random (fewer than ${MIN_DISTINCT_CHARACTERS} different characters, like "aaaa…" or a word repeated): ${adminFix}.`);
  }
  if (settings.transport === 'resend' && settings.webhookSecret !== undefined && !nonEmpty(settings.webhookSecret ?? undefined)) {
    problems.push(
      'RESEND_WEBHOOK_SECRET is not set while mail goes through Resend: bounces and complaints would never be processed, and the list would keep mailing them. Add a webhook at resend.com (Webhooks → your PUBLIC_URL/webhooks/resend) and set its signing secret with `npx wrangler secret put RESEND_WEBHOOK_SECRET`.',
    );
  }
  return problems;
}

/** Origins the CSP's frame-ancestors and the Access-Control-Allow-Origin header can name; more is a mistake. */
export const MAX_SIGNUP_ORIGINS = 20;

/**
 * SIGNUP_ORIGINS, comma-separated (spaces or newlines also separate). Each entry must be an origin and
 * nothing else: a scheme, a host and an optional port; no path, query, fragment, user name or
 * wildcard, because the entries are matched exactly against the browser's `Origin` header and
 * written into CSP `frame-ancestors`, where a pattern would mean far more than the writer meant.
 * Outside local dev only https:// (a form on an http page gives the address away to anyone on the
 * path). Stored as the URL parser serialises them (lower case, default port dropped, IDN as punycode),
 * which is how a browser writes `Origin`. The service's own origin is always allowed and is left out.
 */
export function readSignupOrigins(raw: string | undefined, isLocalDev: boolean, ownOrigin: string): string[] {
  const origins: string[] = [];
  const example = 'list origins like SIGNUP_ORIGINS = "https://blog.example.com,https://www.example.com"';
  for (const entry of (raw ?? '').split(/[\s,]+/).filter(Boolean)) {
    const refuse = (why: string) => new ConfigError(`SIGNUP_ORIGINS: "${entry}" ${why}; ${example}.`);
    if (entry.includes('*')) throw refuse('has a wildcard, which is not allowed (each site must be named)');
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw refuse('is not an origin');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('is not an http(s) origin');
    if (url.protocol === 'http:' && !isLocalDev) throw refuse('must start with https:// outside local dev');
    if (url.username || url.password) throw refuse('has a user name or password in it');
    if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(entry) || /^[a-z]+:\/\/[^/]+\/./i.test(entry)) {
      throw refuse(`has more than an origin (a path, query or fragment): use ${url.origin}`);
    }
    if (url.origin !== ownOrigin && !origins.includes(url.origin)) origins.push(url.origin);
  }
  if (origins.length > MAX_SIGNUP_ORIGINS) {
    throw new ConfigError(`SIGNUP_ORIGINS lists ${origins.length} origins; at most ${MAX_SIGNUP_ORIGINS} are allowed (each one is written into a header on every sign-up answer).`);
  }
  return origins;
}

/** Previous secrets verify old links, so they must be as strong as the current one. */
function readPreviousTokenSecrets(raw: string | undefined, isLocalDev: boolean): string[] {
  const secrets = (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (!isLocalDev) {
    for (const secret of secrets) {
      if (secret === DEV_TOKEN_SECRET || new TextEncoder().encode(secret).length < MIN_TOKEN_SECRET_BYTES) {
        throw new ConfigError('TOKEN_SECRET_PREVIOUS holds the dev key or a key shorter than 32 bytes: list only real earlier TOKEN_SECRETs, comma-separated.');
      }
    }
  }
  return secrets;
}

/** The rule for secrets that must be random (TOKEN_SECRET, ADMIN_TOKEN): at least this many different characters. */
const MIN_DISTINCT_CHARACTERS = 8;
function looksLikePlaceholder(secret: string): boolean {
  return new Set(secret).size < MIN_DISTINCT_CHARACTERS;
}

/**
 * TOKEN_SECRET signs every confirm and unsubscribe link: whoever knows it can confirm or unsubscribe
 * anyone. Outside local dev it must be set, not the public dev key, at least 32 bytes, and not an
 * obvious placeholder (fewer than 8 different characters, like "aaaa…" or "changeme…").
 */
function readTokenSecret(raw: string | undefined, isLocalDev: boolean): string {
  const secret = nonEmpty(raw);
  const fix = 'generate one with `openssl rand -base64 48` and set it with `npx wrangler secret put TOKEN_SECRET` (or in .dev.vars locally)';
  if (!secret) {
    if (isLocalDev) return DEV_TOKEN_SECRET;
    throw new ConfigError(`TOKEN_SECRET is not set: ${fix}.`);
  }
  if (isLocalDev) return secret;
  if (secret === DEV_TOKEN_SECRET) throw new ConfigError(`TOKEN_SECRET is the public dev-only key, which anyone can read in the source: ${fix}.`);
  if (new TextEncoder().encode(secret).length < MIN_TOKEN_SECRET_BYTES) {
    throw new ConfigError(`TOKEN_SECRET must be at least ${MIN_TOKEN_SECRET_BYTES} bytes long: ${fix}.`);
  }
  if (looksLikePlaceholder(secret)) throw new ConfigError(`TOKEN_SECRET looks like a placeholder, not a random key: ${fix}.`);
  return secret;
}

function parsePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute URL like https://news.example.com, got "${raw}".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('PUBLIC_URL must start with https:// or http://.');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** localhost, *.localhost, 127.0.0.0/8 and [::1]: names that never leave this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '[::1]' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function nonEmpty(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}
