// Account ids on the wire: UUIDs in any letter case, lower-cased at the edge because PostgreSQL's uuid
// type answers in lower case, and a client's re-POST must compare equal to what it got back.
import { z } from 'zod';

export const accountIdSchema = z.uuid().transform((id) => id.toLowerCase());
