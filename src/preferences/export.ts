// "Download my data": everything we hold about one reader, and nothing about anyone else.
import { asc, eq } from 'drizzle-orm';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { deliveries, sends } from '../db/schema';
import { DELIVERY_RETENTION_MS } from '../issues/maintenance';
import type { Reader } from './reader';

export interface DeliveryRecord {
  slug: string;
  title: string;
  articleDate: string;
  status: string;
  error: string | null;
  sentAt: number | null;
  deliveredAt: number | null;
  openedAt: number | null;
  clickedAt: number | null;
  bouncedAt: number | null;
  bounceType: string | null;
  complainedAt: number | null;
  failedAt: number | null;
  delayedAt: number | null;
}

/**
 * Which issues went to this reader and what happened to each. The one place that reads the delivery
 * records of a reader, so a change to the shape of `deliveries` is adapted here and nowhere else.
 */
export async function readerDeliveries(db: Db, subscriberId: number): Promise<DeliveryRecord[]> {
  const d = deliveries;
  return db
    .select({
      slug: sends.slug,
      title: sends.title,
      articleDate: sends.articleDate,
      status: d.status,
      error: d.error,
      sentAt: d.sentAt,
      deliveredAt: d.deliveredAt,
      openedAt: d.openedAt,
      clickedAt: d.clickedAt,
      bouncedAt: d.bouncedAt,
      bounceType: d.bounceType,
      complainedAt: d.complainedAt,
      failedAt: d.failedAt,
      delayedAt: d.delayedAt,
    })
    .from(d)
    .innerJoin(sends, eq(sends.id, d.sendId))
    .where(eq(d.subscriberId, subscriberId))
    .orderBy(asc(sends.startedAt));
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** The export document (JSON), times in ISO 8601 UTC. */
export function exportDocument(config: Config, r: Reader, records: DeliveryRecord[], now: number) {
  return {
    newsletter: config.newsletterName,
    exportedAt: iso(now),
    subscriber: {
      email: r.email,
      name: r.name,
      status: r.status,
      createdAt: iso(r.createdAt),
      confirmedAt: iso(r.confirmedAt),
      leftAt: iso(r.leftAt),
      pausedUntil: iso(r.pausedUntil),
      pendingEmail: r.pendingEmail,
      emailChangeRequestedAt: iso(r.emailChangeSentAt),
    },
    issues: records.map((d) => ({
      slug: d.slug,
      title: d.title,
      date: d.articleDate,
      url: `${config.publicUrl}/archive/${d.slug}`,
      status: d.failedAt !== null ? 'failed' : d.status,
      error: d.error,
      sentAt: iso(d.sentAt),
      deliveredAt: iso(d.deliveredAt),
      openedAt: iso(d.openedAt),
      clickedAt: iso(d.clickedAt),
      bouncedAt: iso(d.bouncedAt),
      bounceType: d.bounceType,
      complainedAt: iso(d.complainedAt),
      failedAt: iso(d.failedAt),
      delayedAt: iso(d.delayedAt),
    })),
    note: `Delivery records are kept for ${DELIVERY_RETENTION_MS / 86_400_000} days after each send; older issues are no longer listed.`,
  };
}
