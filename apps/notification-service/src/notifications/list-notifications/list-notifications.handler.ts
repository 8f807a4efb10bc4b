// Use case: one client's notifications, newest first, a page at a time (keyset pagination on
// (created_at, id), so pages stay stable while new notifications arrive). Scoped to the client: another
// client's notifications are invisible, exactly as if they did not exist.
import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '@oncepay/service-runtime';
import { PrismaClient } from '../../generated/prisma/client';
import type { NotificationStatus, TransferOutcome } from '../domain/notification';
import { encodeCursor, type ListNotificationsQuery } from './list-notifications.query';

/** A notification as the API shows it. */
export interface NotificationView {
  id: string;
  transferId: string;
  outcome: TransferOutcome;
  failureReason: string | null;
  status: NotificationStatus;
  /** Attempts started so far (one may be in flight). */
  attempts: number;
  createdAt: string;
  deliveredAt: string | null;
}

export interface NotificationPage {
  data: NotificationView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

@Injectable()
export class ListNotificationsHandler {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async execute(clientId: string, query: ListNotificationsQuery): Promise<NotificationPage> {
    const { cursor, limit, transferId } = query;
    const rows = await this.db.notification.findMany({
      where: {
        clientId,
        ...(transferId ? { transferId } : {}),
        ...(cursor
          ? {
              OR: [
                { createdAt: { lt: cursor.createdAt } },
                { createdAt: cursor.createdAt, id: { lt: cursor.id } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      // One more than asked: whether it exists says if there is a next page, without a COUNT.
      take: limit + 1,
      select: {
        id: true,
        transferId: true,
        outcome: true,
        failureReason: true,
        status: true,
        attempts: true,
        createdAt: true,
        deliveredAt: true,
      },
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((row) => ({
        ...row,
        createdAt: row.createdAt.toISOString(),
        deliveredAt: row.deliveredAt?.toISOString() ?? null,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }
}
