// POST /v1/transfers/{id}/refunds: refunds a completed payment or a captured hold, in full or in part,
// as a new transfer (RefundTransferHandler); 202 with the refund and its Location.
import { Body, Controller, Headers, Param, Post, Res, UseGuards } from '@nestjs/common';
import { idSchema } from '@oncepay/contracts';
import { ApiKeyGuard, ClientId, ProblemException, ZodValidationPipe } from '@oncepay/http-edge';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { transferNotFound } from '../transfer-problems';
import { answerKeyed, requireIdempotencyKey } from '../keyed-request';
import { refundTransferBodySchema } from './refund-transfer.dto';
import { RefundTransferHandler, type RefundTransferResult } from './refund-transfer.handler';

@Controller('v1/transfers')
@UseGuards(ApiKeyGuard)
export class RefundTransferController {
  private readonly validateBody = new ZodValidationPipe(refundTransferBodySchema);

  constructor(private readonly handler: RefundTransferHandler) {}

  @Post(':id/refunds')
  async refundTransfer(
    @ClientId() clientId: string,
    @Param('id', new ZodValidationPipe(idSchema)) id: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('x-correlation-id') correlationId: string | undefined,
    @Body() rawBody: unknown,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<unknown> {
    const key = requireIdempotencyKey(idempotencyKey);
    const result = await this.handler.execute({
      clientId,
      paymentId: id,
      idempotencyKey: key,
      correlationId: correlationId ?? randomUUID(),
      // No body at all is the empty one: refund what is left. A JSON `null` is a body, and not a valid one.
      body: this.validateBody.transform(rawBody === undefined ? {} : rawBody),
    });
    switch (result.outcome) {
      case 'not_found':
        throw transferNotFound(id);
      case 'refused':
        throw refundProblem(result);
      default:
        return answerKeyed(result, response);
    }
  }
}

function refundProblem(refusal: Extract<RefundTransferResult, { outcome: 'refused' }>): ProblemException {
  switch (refusal.reason) {
    case 'NOT_REFUNDABLE':
      return new ProblemException(
        409,
        'NOT_REFUNDABLE',
        'The transfer cannot be refunded',
        'Only a COMPLETED payment or a CAPTURED hold can be refunded; not a refund, nor one pending or failed.',
      );
    case 'REFUND_EXCEEDS_PAYMENT':
      return new ProblemException(
        409,
        'REFUND_EXCEEDS_PAYMENT',
        'The refund exceeds what is left to refund',
        `With the refunds pending or completed, at most ${refusal.refundableMinor} can be refunded.`,
        { refundableAmount: refusal.refundableMinor.toString() },
      );
  }
}
