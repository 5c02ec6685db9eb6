// The bundled articles (content/*.md, validated at build time) and what state each is in.
import { articles } from '../generated/articles';
import type { SendStatus } from '../db/schema';
import { type Article, isReady } from './article';
import { apiStatus, type IssueSendStatus } from './stats';

export type IssueStatus = 'draft' | 'ready' | IssueSendStatus;

export function allArticles(): readonly Article[] {
  return articles;
}

export function findArticle(slug: string): Article | undefined {
  return articles.find((a) => a.slug === slug);
}

/** The oldest (candidates are sorted oldest first) article whose date has come and that no send has claimed yet. */
export function nextArticleToSend(candidates: readonly Article[], sentSlugs: ReadonlySet<string>, now: number): Article | undefined {
  return candidates.find((a) => isReady(a, now) && !sentSlugs.has(a.slug));
}

export function issueStatus(article: Article, sendStatus: SendStatus | undefined, now: number): IssueStatus {
  if (sendStatus) return apiStatus(sendStatus);
  return isReady(article, now) ? 'ready' : 'draft';
}
