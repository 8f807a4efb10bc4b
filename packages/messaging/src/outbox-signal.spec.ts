// Proves the outbox signal's contract: the relays of this process are woken at once, and signals that
// arrive while a NOTIFY is in flight share one more NOTIFY instead of one each.
import type { SqlExecutor } from '@oncepay/sql';
import { OUTBOX_CHANNEL } from './outbox';
import { OutboxSignal } from './outbox-signal';

/** Records each NOTIFY and holds it open until released, like a slow database. */
function recordingDatabase() {
  const notifies: unknown[][] = [];
  const pending: (() => void)[] = [];
  const db: SqlExecutor = {
    query: <T>(text: string, ...values: unknown[]) => {
      notifies.push([text, ...values]);
      return new Promise<T>((resolve) => pending.push(() => resolve([] as T)));
    },
    execute: () => Promise.reject(new Error('not used')),
  };
  const releaseAll = async () => {
    while (pending.length > 0) {
      pending.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { db, notifies, releaseAll };
}

describe('OutboxSignal', () => {
  it('wakes the relays of this process at once and NOTIFYs the others on the outbox channel', async () => {
    const { db, notifies, releaseAll } = recordingDatabase();
    const signal = new OutboxSignal(db);
    const woken: string[] = [];
    signal.subscribe(() => woken.push('relay'));

    signal.committed();

    expect(woken).toEqual(['relay']);
    expect(notifies).toEqual([[`SELECT pg_notify($1, '')`, OUTBOX_CHANNEL]]);
    await releaseAll();
  });

  it('lets signals that arrive during a NOTIFY share the next one', async () => {
    const { db, notifies, releaseAll } = recordingDatabase();
    const signal = new OutboxSignal(db);
    let wakes = 0;
    const unsubscribe = signal.subscribe(() => (wakes += 1));

    for (let i = 0; i < 50; i++) signal.committed();
    await releaseAll();
    unsubscribe();
    signal.committed();
    await releaseAll();

    expect(wakes).toBe(50);
    // The first call's NOTIFY, one shared by the 49 that came while it was in flight, the last call's.
    expect(notifies).toHaveLength(3);
  });
});
