// The time inside a keyset cursor (newest-first listings page by (createdAt, id)). Cursors are opaque
// but arrive from clients, so what they hold is validated like any input: an ISO instant within the
// range a row's creation time can have. A year 0000 parses in JavaScript but not in PostgreSQL.
import { z } from 'zod';

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export const cursorTimeSchema = z.iso.datetime().refine((value) => {
  const time = Date.parse(value);
  return time >= EARLIEST && time <= LATEST;
}, 'must be between 1970 and 9999');
