// The ledger-service's REST contract (v1) as OpenAPI 3.1, served at /docs. Request schemas are the
// zod schemas the controllers validate with; response schemas are checked against the resource types
// the controllers return (`documents<T>()`), so neither side can change without the document failing to build.
import { amountMinorSchema, currencySchema } from '@oncepay/contracts';
import {
  apiProblemResponses,
  documents,
  idempotencyKeySchema,
  jsonContent,
  MINOR_UNITS_NOTE,
  openApiDocument,
  pageSchema,
  problemResponse,
  registerTrailPath,
  serviceApiRegistry,
  type OpenApiDocument,
} from '@oncepay/http-edge';
import { z } from 'zod';
import { accountIdSchema } from './accounts/account-id.schema';
import type { AccountResource, EntryResource } from './accounts/account.resource';
import { listEntriesQuerySchema, type EntriesPage } from './accounts/list-entries/list-entries.dto';
import { openAccountBodySchema } from './accounts/open-account/open-account.dto';

/**
 * A balance is signed: zero, positive, or negative on an account opened with allowNegativeBalance. So it
 * cannot be contracts' amountMinorSchema (positive amounts only); same digits, plus zero and a sign.
 */
export const BALANCE_PATTERN = /^(0|-?[1-9][0-9]*)$/;

/** A held amount: zero or positive (the sum of active holds), so contracts' digits plus zero. */
export const HELD_AMOUNT_PATTERN = /^(0|[1-9][0-9]*)$/;

const accountSchema = documents<AccountResource>()(
  z
    .object({
      id: z.uuid(),
      currency: currencySchema.meta({ description: 'ISO 4217 code' }),
      balance: z
        .string()
        .regex(BALANCE_PATTERN)
        .meta({
          description: `${MINOR_UNITS_NOTE}: the posted balance (the sum of the journal entries); signed, below zero only on an account that allows a negative balance`,
        }),
      availableBalance: z
        .string()
        .regex(BALANCE_PATTERN)
        .meta({
          description: `${MINOR_UNITS_NOTE}: \`balance\` less \`heldAmount\`, what payments and new holds are checked against; signed, below zero only on an account that allows a negative balance`,
        }),
      heldAmount: z
        .string()
        .regex(HELD_AMOUNT_PATTERN)
        .meta({
          description: `${MINOR_UNITS_NOTE}: reserved by the account's active holds until each is captured or released; never negative`,
        }),
      allowNegativeBalance: z.boolean(),
      createdAt: z.iso.datetime(),
    })
    .strict(),
);

const entrySchema = documents<EntryResource>()(
  z
    .object({
      id: z
        .string()
        .regex(/^[1-9][0-9]*$/)
        .meta({ description: 'A positive 64-bit integer as a string; increasing in posting order' }),
      transferId: z.uuid(),
      direction: z
        .enum(['DEBIT', 'CREDIT'])
        .meta({ description: 'DEBIT takes the amount out; CREDIT adds it' }),
      amount: amountMinorSchema.meta({
        description: `${MINOR_UNITS_NOTE}: always positive, \`direction\` gives the sign`,
      }),
      currency: currencySchema.meta({ description: 'ISO 4217 code' }),
      postedAt: z.iso.datetime(),
    })
    .strict(),
);

const accountIdParameters = z.object({
  id: accountIdSchema.meta({
    description: 'The account id (a UUID; any letter case, answered in lower case)',
  }),
});

const accountNotFound = problemResponse(
  'ACCOUNT_NOT_FOUND: no such account, or it belongs to another client (the two look the same)',
);

export function buildOpenApiDocument(): OpenApiDocument {
  const api = serviceApiRegistry();
  const openAccount = api.register('OpenAccount', openAccountBodySchema);
  const account = api.register('Account', accountSchema);
  const entry = api.register('Entry', entrySchema);
  const entryPage = api.register('EntryPage', documents<EntriesPage<EntryResource>>()(pageSchema(entry)));

  api.registerPath({
    method: 'post',
    path: '/v1/accounts',
    operationId: 'openAccount',
    summary: 'Open an account',
    tags: ['accounts'],
    description:
      'Retry-safe with an `Idempotency-Key`: the same request again answers 200 with the account it ' +
      'already opened. The account id is derived from the calling client and the key, so the same key ' +
      'always names the same account of that client. Without a key the id is random, and a retry opens a ' +
      'second account.',
    request: {
      headers: z.object({
        'Idempotency-Key': idempotencyKeySchema.optional().meta({
          description:
            'One unique key per account to open; retry with the same key and body. The same key with other ' +
            'fields is 422 IDEMPOTENCY_KEY_REUSED.',
        }),
      }),
      body: { required: true, content: jsonContent(openAccount) },
    },
    responses: {
      201: {
        description: 'Opened: the new account, with a zero balance',
        headers: z.object({ Location: z.string().meta({ description: 'The account: /v1/accounts/{id}' }) }),
        content: jsonContent(account),
      },
      200: {
        description: 'Already open: this client opened an account with this key and the same fields before',
        headers: z.object({
          'Idempotent-Replayed': z.literal('true').meta({ description: 'Always `true` here' }),
        }),
        content: jsonContent(account),
      },
      ...apiProblemResponses(400, 413, 415),
      403: problemResponse(
        'OPERATOR_ROLE_REQUIRED: only an operator may open an account with allowNegativeBalance',
      ),
      422: problemResponse(
        'IDEMPOTENCY_KEY_REUSED: this key opened an account with other fields; use a new key for a new account',
      ),
    },
  });

  api.registerPath({
    method: 'get',
    path: '/v1/accounts/{id}',
    operationId: 'getAccount',
    summary: 'One account, with its posted balance, available balance and held amount',
    tags: ['accounts'],
    request: { params: accountIdParameters },
    responses: {
      200: { description: 'The account', content: jsonContent(account) },
      ...apiProblemResponses(400),
      404: accountNotFound,
    },
  });

  api.registerPath({
    method: 'get',
    path: '/v1/accounts/{id}/entries',
    operationId: 'listEntries',
    summary: "An account's journal entries, newest first",
    tags: ['accounts'],
    description:
      'Keyset pagination: pass `nextCursor` back as `cursor`; entries posted meanwhile never shift pages.',
    request: { params: accountIdParameters, query: listEntriesQuerySchema },
    responses: {
      200: { description: 'One page of entries', content: jsonContent(entryPage) },
      400: problemResponse('VALIDATION_ERROR (every issue in `errors`) or INVALID_CURSOR'),
      ...apiProblemResponses(),
      404: accountNotFound,
    },
  });

  registerTrailPath(api, 'ledger');

  return openApiDocument(api, {
    title: 'OncePay ledger-service',
    version: 'v1',
    description: [
      'Accounts and their double-entry journal. Balances change only through transfers (requested at the',
      'transfer-service): money enters from an account opened with allowNegativeBalance, so the sum of all',
      'balances is always zero. A hold (requested at the transfer-service) reserves money: it lowers the',
      'available balance, not the posted one, until it is captured or released.',
    ].join(' '),
  });
}
