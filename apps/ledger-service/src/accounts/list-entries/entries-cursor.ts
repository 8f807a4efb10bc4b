// The opaque cursor of the entries listing: the id of the last entry a page returned. Opaque (base64url
// with a version tag) so clients pass it back unchanged and the ledger may change what it holds.
const VERSION = 'e1';
/** A journal entry id: a positive BIGINT. */
const ENTRY_ID = /^[1-9][0-9]{0,18}$/;
const MAX_ENTRY_ID = 2n ** 63n - 1n;

export function encodeEntriesCursor(lastEntryId: bigint): string {
  return Buffer.from(`${VERSION}:${lastEntryId}`, 'utf8').toString('base64url');
}

/** The entry id the cursor points after; null when the cursor was not made by encodeEntriesCursor. */
export function decodeEntriesCursor(cursor: string): bigint | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return null;
  const [version, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (version !== VERSION || id === undefined || rest.length > 0 || !ENTRY_ID.test(id)) return null;
  const entryId = BigInt(id);
  return entryId <= MAX_ENTRY_ID ? entryId : null;
}
