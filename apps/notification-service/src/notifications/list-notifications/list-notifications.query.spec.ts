// Proves the list query's edge rules: defaults, bounds, strictness, and that only a cursor this API
// issued is accepted and round-trips exactly.
import { randomUUID } from 'node:crypto';
import { encodeCursor, listNotificationsQuerySchema } from './list-notifications.query';

describe('listNotificationsQuerySchema', () => {
  it('defaults the page size and coerces the limit from the query string', () => {
    expect(listNotificationsQuerySchema.parse({})).toEqual({ limit: 20 });
    expect(listNotificationsQuerySchema.parse({ limit: '5' })).toEqual({ limit: 5 });
  });

  it('refuses a bad transfer id, an out-of-range limit and unknown parameters', () => {
    expect(listNotificationsQuerySchema.safeParse({ transferId: 'nope' }).success).toBe(false);
    expect(listNotificationsQuerySchema.safeParse({ limit: '0' }).success).toBe(false);
    expect(listNotificationsQuerySchema.safeParse({ limit: '101' }).success).toBe(false);
    expect(listNotificationsQuerySchema.safeParse({ transfer_id: randomUUID() }).success).toBe(false);
  });

  it('round-trips its own cursor and refuses anything else', () => {
    const cursor = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: randomUUID() };
    expect(listNotificationsQuerySchema.parse({ cursor: encodeCursor(cursor) }).cursor).toEqual(cursor);
    expect(listNotificationsQuerySchema.safeParse({ cursor: 'not-a-cursor' }).success).toBe(false);
    const forged = Buffer.from(JSON.stringify({ createdAt: 'yesterday', id: 'x' })).toString('base64url');
    expect(listNotificationsQuerySchema.safeParse({ cursor: forged }).success).toBe(false);
  });
});
