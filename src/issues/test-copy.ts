// A test copy of an issue: rendered exactly as subscribers will get it, sent to one address, never
// recorded as a delivery (no send row, no delivery row, the issue's status does not move).
// Its subject starts with "[TEST] ". Its unsubscribe and preferences links carry valid tokens for
// subscriber id 0, which no row has: they work as a preview of the flow and change nobody.
import type { Config, Env } from '../config';
import { takeSlot } from '../mail/pacer';
import { type SendResult, transportFor } from '../mail/transport';
import { signPreferencesToken, signUnsubscribeToken } from '../subscribers/tokens';
import type { Article } from './article';
import { getDb } from '../db/client';
import { personalize, renderIssueTemplate } from './template';

export const TEST_SUBJECT_PREFIX = '[TEST] ';
const NOBODY = 0;

export async function sendTestCopy(env: Env, config: Config, article: Article, to: string): Promise<SendResult> {
  const template = await renderIssueTemplate(config, article);
  const email = personalize(config, { ...template, subject: `${TEST_SUBJECT_PREFIX}${template.subject}` }, to, await signUnsubscribeToken(config.tokenSecret, NOBODY), await signPreferencesToken(config.tokenSecret, NOBODY));
  const transport = transportFor(env, config);
  if (transport.paced) await takeSlot(getDb(env.DB), config.sendRatePerSecond);
  // A fresh key each time: asking for another test copy sends another one.
  return transport.sendBatch([email], `test-${article.slug}-${crypto.randomUUID()}`);
}
