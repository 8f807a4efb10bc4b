// Proves the log channel writes exactly one JSON line per notification, carrying the notification id
// (the receiver's dedup key) and the whole body, and reports it delivered.
import { randomUUID } from 'node:crypto';
import type { Notification } from '../domain/notification';
import { LogChannel } from './log.channel';

describe('LogChannel', () => {
  it('writes one structured JSON line', async () => {
    const lines: string[] = [];
    const transferId = randomUUID();
    const notification: Notification = {
      id: randomUUID(),
      transferId,
      clientId: 'client-a',
      outcome: 'COMPLETED',
      attemptNumber: 1,
      body: {
        transferId,
        outcome: 'COMPLETED',
        amount: '1250',
        currency: 'EUR',
        fromAccountId: randomUUID(),
        toAccountId: randomUUID(),
        reason: null,
        occurredAt: '2026-11-26T12:00:00.000Z',
      },
    };

    await expect(new LogChannel((line) => lines.push(line)).deliver(notification)).resolves.toEqual({
      outcome: 'delivered',
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(lines[0]?.trimEnd().includes('\n')).toBe(false);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'info',
      message: 'notification',
      notificationId: notification.id,
      attemptNumber: 1,
      clientId: 'client-a',
      notification: notification.body,
    });
  });
});
