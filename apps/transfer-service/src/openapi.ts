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
  registerTrailPath,
  serviceApiRegistry,
  type OpenApiDocument,
} from '@oncepay/http-edge';
import { z } from 'zod';
import { TransferStatus } from './generated/prisma/enums';
import { captureHoldBodySchema } from './transfers/capture-hold/capture-hold.dto';
import { HOLD_STEP_REFUSALS } from './transfers/hold-step/hold-step.problems';
import { listRefundsQuerySchema } from './transfers/list-refunds/list-refunds.dto';
import { listTransfersQuerySchema } from './transfers/list-transfers/list-transfers.dto';
import { refundTransferBodySchema } from './transfers/refund-transfer/refund-transfer.dto';
import { voidHoldBodySchema } from './transfers/void-hold/void-hold.dto';
import { requestTransferBodySchema } from './transfers/request-transfer/request-transfer.dto';
import type { TransferResource } from './transfers/transfer.resource';

const transferSchema = documents<TransferResource>()(
  z
    .object({
      id: z.uuid(),
      kind: z.enum(['PAYMENT', 'HOLD', 'REFUND']).meta({
        description:
          'PAYMENT moves the amount at once; HOLD reserves it, to capture, void or let expire; REFUND pays back refundOf',
      }),
      status: z.enum(TransferStatus).meta({
        description:
          'PENDING until the ledger answers. A payment or refund then becomes COMPLETED or FAILED. A hold ' +
          'becomes HELD (or FAILED), then CAPTURING -> CAPTURED, VOIDING -> VOIDED or EXPIRING -> EXPIRED. ' +
          'COMPLETED, FAILED, CAPTURED, VOIDED and EXPIRED are final and never change',
      }),
      fromAccountId: z.uuid(),
      toAccountId: z.uuid(),
      amount: amountMinorSchema.meta({
        description: `${MINOR_UNITS_NOTE}: positive, at most 9223372036854775807 (2^63-1); for a hold, the amount held`,
      }),
      currency: currencySchema.meta({ description: 'ISO 4217 code' }),
      reference: z.string().nullable(),
      failureReason: z.enum(REJECTION_REASONS).nullable().meta({
        description: 'Why the ledger refused the transfer; null unless the status is FAILED',
      }),
      holdExpiresAt: z.iso.datetime().nullable().meta({
        description:
          'A hold only: from this instant it can neither be captured nor voided, and it is released',
      }),
      capturedAmount: amountMinorSchema.nullable().meta({
        description: `A capturing or captured hold only: what it captures (${MINOR_UNITS_NOTE})`,
      }),
      refundOf: z.uuid().nullable().meta({ description: 'A refund only: the transfer it pays back' }),
      refundedAmount: z
        .string()
        .regex(/^(0|[1-9][0-9]*)$/)
        .meta({
          description: `The sum of this transfer's COMPLETED refunds, "0" when none (${MINOR_UNITS_NOTE})`,
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
      'The account to debit must belong to the calling client; any account may be credited. With `hold`, ' +
      'the ledger only reserves the amount (HELD): capture or void it before `holdExpiresAt`, or it is released.',
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

  const replayedHeaders = z.object({
    Location: z.string().meta({ description: 'The transfer: /v1/transfers/{id}' }),
    'Idempotent-Replayed': z.literal('true').optional().meta({
      description:
        'Present (`true`) only when this is the stored answer to an earlier request with the same key',
    }),
  });
  const keyedProblems = {
    ...apiProblemResponses(413, 415),
    400: problemResponse(
      'VALIDATION_ERROR (the body, the id or the Idempotency-Key; every issue in `errors`), MALFORMED_JSON, ' +
        'or IDEMPOTENCY_KEY_REQUIRED',
    ),
    404: problemResponse('TRANSFER_NOT_FOUND: no such transfer, or it belongs to another client'),
  };
  const refusedNote =
    'A refused request stores nothing under its Idempotency-Key: a retry with the same key is decided again.';
  const holdRefusals = HOLD_STEP_REFUSALS.filter((code) => code !== 'CAPTURE_EXCEEDS_HOLD').join(', ');

  api.registerPath({
    method: 'post',
    path: '/v1/transfers/{id}/capture',
    operationId: 'captureHold',
    summary: 'Capture a hold, in full or in part',
    tags: ['holds'],
    description:
      'Moves `amount` (default: the whole hold) of a HELD hold to the payee and releases the rest; answers 202 ' +
      'with the hold CAPTURING, then CAPTURED once the ledger posted it. Exactly one of capture, void and ' +
      `expiry ends a hold. ${refusedNote}`,
    request: {
      params: transferIdParameters,
      headers: z.object({ 'Idempotency-Key': idempotencyKey }),
      body: { required: false, content: jsonContent(api.register('CaptureHold', captureHoldBodySchema)) },
    },
    responses: {
      202: {
        description: 'Accepted: the hold, CAPTURING',
        headers: replayedHeaders,
        content: jsonContent(transfer),
      },
      ...keyedProblems,
      409: problemResponse(`${holdRefusals}: the hold is not (or no longer) HELD, or its expiry has passed`),
      422: problemResponse(
        'CAPTURE_EXCEEDS_HOLD: more than the amount held; or IDEMPOTENCY_KEY_REUSED: this key was used with a different request',
      ),
    },
  });

  api.registerPath({
    method: 'post',
    path: '/v1/transfers/{id}/void',
    operationId: 'voidHold',
    summary: 'Void a hold',
    tags: ['holds'],
    description:
      'Releases a HELD hold; answers 202 with the hold VOIDING, then VOIDED once the ledger released it. ' +
      `The body is empty or \`{}\`. ${refusedNote}`,
    request: {
      params: transferIdParameters,
      headers: z.object({ 'Idempotency-Key': idempotencyKey }),
      body: { required: false, content: jsonContent(api.register('VoidHold', voidHoldBodySchema)) },
    },
    responses: {
      202: {
        description: 'Accepted: the hold, VOIDING',
        headers: replayedHeaders,
        content: jsonContent(transfer),
      },
      ...keyedProblems,
      409: problemResponse(`${holdRefusals}: the hold is not (or no longer) HELD, or its expiry has passed`),
      422: problemResponse('IDEMPOTENCY_KEY_REUSED: this key was used with a different request'),
    },
  });

  api.registerPath({
    method: 'post',
    path: '/v1/transfers/{id}/refunds',
    operationId: 'refundTransfer',
    summary: 'Refund a completed payment or a captured hold',
    tags: ['refunds'],
    description:
      'Creates a refund: a new transfer (kind REFUND, PENDING) from the payee back to the payer, of `amount` ' +
      '(default: what is left refundable). Together with the refunds PENDING or COMPLETED it may not exceed ' +
      `what the payment moved (a FAILED refund gives its amount back). ${refusedNote}`,
    request: {
      params: transferIdParameters,
      headers: z.object({ 'Idempotency-Key': idempotencyKey }),
      body: {
        required: false,
        content: jsonContent(api.register('RefundTransfer', refundTransferBodySchema)),
      },
    },
    responses: {
      202: {
        description: 'Accepted: the refund, PENDING; Location names it',
        headers: replayedHeaders,
        content: jsonContent(transfer),
      },
      ...keyedProblems,
      409: problemResponse(
        'NOT_REFUNDABLE: not a COMPLETED payment or a CAPTURED hold; REFUND_EXCEEDS_PAYMENT: more than is left ' +
          'to refund, which the extension member `refundableAmount` (a string of minor units) says',
      ),
      422: problemResponse('IDEMPOTENCY_KEY_REUSED: this key was used with a different request'),
    },
  });

  api.registerPath({
    method: 'get',
    path: '/v1/transfers/{id}/refunds',
    operationId: 'listRefunds',
    summary: "A transfer's refunds, newest first",
    tags: ['refunds'],
    request: { params: transferIdParameters, query: listRefundsQuerySchema },
    responses: {
      200: { description: 'One page of refunds', content: jsonContent(transferPage) },
      400: problemResponse('VALIDATION_ERROR (every issue in `errors`) or INVALID_CURSOR'),
      ...apiProblemResponses(),
      404: problemResponse('TRANSFER_NOT_FOUND: no such transfer, or it belongs to another client'),
    },
  });

  registerTrailPath(api, 'transfer');

  return openApiDocument(api, {
    title: 'OncePay transfer-service',
    version: 'v1',
    description: [
      'Moves money between accounts, exactly once per Idempotency-Key. A transfer is accepted as PENDING',
      'and posted by the ledger asynchronously; it then becomes COMPLETED, or FAILED with a failureReason.',
      'A hold reserves the amount until it is captured, voided or expires; a completed payment or captured',
      'hold can be refunded, in parts, up to what it moved.',
      'Insufficient funds, an unknown account or a currency mismatch are not HTTP errors: they are a',
      'FAILED transfer.',
    ].join(' '),
  });
}
