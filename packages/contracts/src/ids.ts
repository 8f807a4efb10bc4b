// Ids on the wire are UUIDs in any letter case; OncePay lower-cases them at the edge, because
// PostgreSQL's uuid type answers in lower case and every later comparison (the state machine's facts,
// a client's re-POST) must see one spelling.
import { z } from 'zod';

export const idSchema = z.uuid().transform((id) => id.toLowerCase());
