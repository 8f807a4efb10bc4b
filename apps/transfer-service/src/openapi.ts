// The transfer-service's REST contract (v1) as OpenAPI 3.1, served at /docs. Request schemas are the
// zod schemas the controllers validate with; response schemas are checked against the resource types
// the controllers return (`documents<T>()`), so neither side can change without the document failing to build.
import { amountMinorSchema, currencySchema, REJECTION_REASONS } from '@oncepay/contracts';
import {
  documents,
  healthPath,
  idempotencyKeyParameter,
  jsonBody,
  MINOR_UNITS_NOTE,
  openApiDocument,
  pageSchema,
  parameterRef,
  pathParameter,
  problemResponse,
  problemResponses,
  queryParameters,
  responseHeader,
  schemaRef,
  type OpenApiDocument,
} from '@oncepay/nest-common';
import { z } from 'zod';
import { listTransfersQuerySchema } from './transfers/list-transfers/list-transfers.dto';
import {
  idempotencyKeySchema,
  requestTransferBodySchema,
} from './transfers/request-transfer/request-transfer.dto';
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

const transferPageSchema = documents<{ data: TransferResource[]; nextCursor: string | null }>()(
  pageSchema(transferSchema),
);

const transferIdParameter = pathParameter('id', z.uuid(), 'The transfer id');

const locationHeader = responseHeader('The transfer: /v1/transfers/{id}', z.string());

export function buildOpenApiDocument(): OpenApiDocument {
  return openApiDocument({
    title: 'OncePay transfer-service',
    version: 'v1',
    description: [
      'Moves money between accounts, exactly once per Idempotency-Key. A transfer is accepted as PENDING',
      'and posted by the ledger asynchronously; it then becomes COMPLETED, or FAILED with a failureReason.',
      'Insufficient funds, an unknown account or a currency mismatch are not HTTP errors: they are a',
      'FAILED transfer.',
    ].join(' '),
    schemas: {
      RequestTransfer: requestTransferBodySchema,
      Transfer: transferSchema,
      TransferPage: transferPageSchema,
    },
    parameters: { IdempotencyKey: idempotencyKeyParameter(idempotencyKeySchema) },
    paths: {
      '/health': healthPath(),
      '/v1/transfers': {
        post: {
          operationId: 'requestTransfer',
          summary: 'Request a transfer',
          tags: ['transfers'],
          description:
            'Stores the transfer (PENDING) and answers 202 at once; read it back to see it COMPLETED or FAILED. ' +
            'The account to debit must belong to the calling client; any account may be credited.',
          parameters: [parameterRef('IdempotencyKey')],
          requestBody: { required: true, ...jsonBody(schemaRef('RequestTransfer')) },
          responses: {
            202: {
              description:
                'Accepted: the transfer, PENDING. A retry with the same Idempotency-Key and body answers ' +
                'the original status and body again, with `Idempotent-Replayed: true`.',
              headers: {
                Location: locationHeader,
                'Idempotent-Replayed': responseHeader(
                  'Present (`true`) only when this is the stored answer to an earlier request with the same key',
                  z.literal('true'),
                ),
              },
              ...jsonBody(schemaRef('Transfer')),
            },
            ...problemResponses(401, 413, 415),
            400: problemResponse(
              'VALIDATION_ERROR (the body or the Idempotency-Key; every issue in `errors`), MALFORMED_JSON, ' +
                'or IDEMPOTENCY_KEY_REQUIRED',
            ),
            422: problemResponse(
              'IDEMPOTENCY_KEY_REUSED: this key was used with a different request; use a new key for a new transfer',
            ),
          },
        },
        get: {
          operationId: 'listTransfers',
          summary: "The calling client's transfers, newest first",
          tags: ['transfers'],
          description:
            'Keyset pagination: pass `nextCursor` back as `cursor`; pages stay stable while new transfers arrive.',
          parameters: queryParameters(listTransfersQuerySchema),
          responses: {
            200: { description: 'One page of transfers', ...jsonBody(schemaRef('TransferPage')) },
            400: problemResponse('VALIDATION_ERROR (every issue in `errors`) or INVALID_CURSOR'),
            ...problemResponses(401),
          },
        },
      },
      '/v1/transfers/{id}': {
        get: {
          operationId: 'getTransfer',
          summary: 'One transfer',
          tags: ['transfers'],
          parameters: [transferIdParameter],
          responses: {
            200: { description: 'The transfer', ...jsonBody(schemaRef('Transfer')) },
            ...problemResponses(400, 401),
            404: problemResponse('TRANSFER_NOT_FOUND: no such transfer, or it belongs to another client'),
          },
        },
      },
    },
  });
}
