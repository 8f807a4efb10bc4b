// POST /v1/transfers/{id}/void: the body, validated at the edge: nothing to say, `{}` or none at all.
import { z } from 'zod';

export const voidHoldBodySchema = z.object({}).strict();
