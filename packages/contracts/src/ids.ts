// Ids on the wire are UUIDs in any letter case; OncePay lower-cases them at the edge, because
// PostgreSQL's uuid type answers in lower case and every later comparison (the state machine's facts,
// a client's re-POST) must see one spelling.
import { v5 as uuidV5, v7 as uuidV7 } from 'uuid';
import { z } from 'zod';

export const idSchema = z.uuid().transform((id) => id.toLowerCase());

/** The namespace of accountIdFor's name-based UUIDs; fixed forever, or every derived id would change. */
const ACCOUNT_ID_NAMESPACE = '5f0c1d2e-8b7a-4c3d-9e6f-0a1b2c3d4e5f';

/**
 * The id of the account a client opens with an Idempotency-Key: a name-based UUID (RFC 9562 v5) of the
 * client and the key. The same client and key always name the same account, so a retry finds the one
 * it opened; another client with the same key names another account, so an id tells a client nothing
 * about accounts it does not own.
 */
export function accountIdFor(clientId: string, idempotencyKey: string): string {
  // A newline cannot occur in either part (client ids and keys are visible characters), so no two
  // pairs produce the same name.
  return uuidV5(`${clientId}\n${idempotencyKey}`, ACCOUNT_ID_NAMESPACE);
}

/**
 * A new id for anything OncePay mints (a transfer, an event, a notification...): a time-ordered UUID
 * (RFC 9562 v7), so rows inserted now land next to each other, after the ids minted before them, in
 * every index keyed by their ids, instead of on a random page of it. With random ids the indexes of big tables outgrow memory and every
 * insert reads and dirties a random page (docs/adr/0016-time-ordered-ids.md). The first 48 bits are the
 * creation time in milliseconds, which a transfer shows anyway (`createdAt`); the rest is random apart
 * from a counter that keeps ids of the same millisecond of this process in order.
 */
export function newId(): string {
  return uuidV7();
}
