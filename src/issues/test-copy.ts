// A test copy of an issue: rendered exactly as subscribers will get it, sent to one address, never
// recorded as a delivery (no send row, no delivery row, the issue's status does not move).
// Its subject starts with "[TEST] ". Its unsubscribe and preferences links carry valid tokens for
// subscriber id 0, which no row has: they work as a preview of the flow and change nobody.
import type { Config, Env } from '../config';
import type { Db } from '../db/client';
import { emailTags } from '../mail/tags';
import { type SendOutcome, transportFor } from '../mail/transport';
import { readerTokens } from '../subscribers/tokens';
import type { Article } from './article';
import { personalize, renderIssueTemplate } from './template';

export const TEST_SUBJECT_PREFIX = '[TEST] ';
const NOBODY = 0;

export async function sendTestCopy(db: Db, env: Env, config: Config, article: Article, to: string): Promise<SendOutcome> {
  const template = await renderIssueTemplate(config, article);
  const subject = `${TEST_SUBJECT_PREFIX}${template.subject}`;
  const email = personalize(config, { ...template, subject }, to, await readerTokens(config.tokenSecret, NOBODY), emailTags('test', article.slug));
  // A fresh key each time: asking for another test copy sends another one.
  return transportFor(env, config, db).send([email], `test-${article.slug}-${crypto.randomUUID()}`);
}
