// The transfer-service's REST contract (v1) as OpenAPI 3.1, served at /docs. Request schemas are the
// zod schemas the controllers validate with; response schemas are checked against the resource types
// the controllers return (`documents<T>()`), so neither side can change without the document failing to build.
import { amountMinorSchema, currencySchema, REJECTION_REASONS } from '@oncepay/contracts';
import {
  apiProblemResponses,
  documents,
  idempotencyKeySchema,
  jsonContent,
  MINOR_UNITS_NOTE,
  openApiDocument,
  pageSchema,
  problemResponse,
  registerIdempotencyKey,
  serviceApiRegistry,
  type OpenApiDocument,
} from '@oncepay/http-edge';
import { z } from 'zod';
import { listTransfersQuerySchema } from './transfers/list-transfers/list-transfers.dto';
import { requestTransferBodySchema } from './transfers/request-transfer/request-transfer.dto';
import type { TransferResource } from './transfers/transfer.resource';

const transferSchema = documents<TransferResource>()(
  z
    .object({
      id: z.uuid(),
      status: z.enum(['PENDING', 'COMPLETED', 'FAILED']).meta({
        description: 'PENDING until the ledger answers; COMPLETED and FAILED are final and never change',
      }),
      fromAccountId: z.uuid(),
      toAccountId: z.uuid(),
      amount: amountMinorSchema.meta({
        description: `${MINOR_UNITS_NOTE}: positive, at most 9223372036854775807 (2^63-1)`,
      }),
      currency: currencySchema.meta({ description: 'ISO 4217 code' }),
      reference: z.string().nullable(),
      failureReason: z.enum(REJECTION_REASONS).nullable().meta({
        description: 'Why the ledger refused the transfer; null unless the status is FAILED',
      }),
      createdAt: z.iso.datetime(),
      updatedAt: z.iso.datetime(),
    })
    .strict(),
);

const transferIdParameters = z.object({ id: z.uuid().meta({ description: 'The transfer id' }) });

export function buildOpenApiDocument(): OpenApiDocument {
  const api = serviceApiRegistry();
  const requestTransfer = api.register('RequestTransfer', requestTransferBodySchema);
  const transfer = api.register('Transfer', transferSchema);
  const transferPage = api.register(
    'TransferPage',
    documents<{ data: TransferResource[]; nextCursor: string | null }>()(pageSchema(transfer)),
  );
  const idempotencyKey = registerIdempotencyKey(api, idempotencyKeySchema);

  api.registerPath({
    method: 'post',
    path: '/v1/transfers',
    operationId: 'requestTransfer',
    summary: 'Request a transfer',
    tags: ['transfers'],
    description:
      'Stores the transfer (PENDING) and answers 202 at once; read it back to see it COMPLETED or FAILED. ' +
      'The account to debit must belong to the calling client; any account may be credited.',
    request: {
      headers: z.object({ 'Idempotency-Key': idempotencyKey }),
      body: { required: true, content: jsonContent(requestTransfer) },
    },
    responses: {
      202: {
        description:
          'Accepted: the transfer, PENDING. A retry with the same Idempotency-Key and body answers ' +
          'the original status and body again, with `Idempotent-Replayed: true`.',
        headers: z.object({
          Location: z.string().meta({ description: 'The transfer: /v1/transfers/{id}' }),
          'Idempotent-Replayed': z.literal('true').optional().meta({
            description:
              'Present (`true`) only when this is the stored answer to an earlier request with the same key',
          }),
        }),
        content: jsonContent(transfer),
      },
      ...apiProblemResponses(413, 415),
      400: problemResponse(
        'VALIDATION_ERROR (the body or the Idempotency-Key; every issue in `errors`), MALFORMED_JSON, ' +
          'or IDEMPOTENCY_KEY_REQUIRED',
      ),
      422: problemResponse(
        'IDEMPOTENCY_KEY_REUSED: this key was used with a different request; use a new key for a new transfer',
      ),
    },
  });

  api.registerPath({
    method: 'get',
    path: '/v1/transfers',
    operationId: 'listTransfers',
    summary: "The calling client's transfers, newest first",
    tags: ['transfers'],
    description:
      'Keyset pagination: pass `nextCursor` back as `cursor`; pages stay stable while new transfers arrive.',
    request: { query: listTransfersQuerySchema },
    responses: {
      200: { description: 'One page of transfers', content: jsonContent(transferPage) },
      400: problemResponse('VALIDATION_ERROR (every issue in `errors`) or INVALID_CURSOR'),
      ...apiProblemResponses(),
    },
  });

  api.registerPath({
    method: 'get',
    path: '/v1/transfers/{id}',
    operationId: 'getTransfer',
    summary: 'One transfer',
    tags: ['transfers'],
    request: { params: transferIdParameters },
    responses: {
      200: { description: 'The transfer', content: jsonContent(transfer) },
      ...apiProblemResponses(400),
      404: problemResponse('TRANSFER_NOT_FOUND: no such transfer, or it belongs to another client'),
    },
  });

  return openApiDocument(api, {
    title: 'OncePay transfer-service',
    version: 'v1',
    description: [
      'Moves money between accounts, exactly once per Idempotency-Key. A transfer is accepted as PENDING',
      'and posted by the ledger asynchronously; it then becomes COMPLETED, or FAILED with a failureReason.',
      'Insufficient funds, an unknown account or a currency mismatch are not HTTP errors: they are a',
      'FAILED transfer.',
    ].join(' '),
  });
}
