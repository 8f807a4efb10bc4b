// POST /v1/transfers/{id}/capture: captures a placed hold, in full or in part (HoldStepHandler).
import { Body, Controller, Headers, Param, Post, Res, UseGuards } from '@nestjs/common';
import { idSchema } from '@oncepay/contracts';
import { ApiKeyGuard, ClientId, ZodValidationPipe } from '@oncepay/http-edge';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { holdStepProblem } from '../hold-step/hold-step.problems';
import { transferNotFound } from '../transfer-problems';
import { HoldStepHandler } from '../hold-step/hold-step.handler';
import { answerKeyed, requireIdempotencyKey } from '../keyed-request';
import { captureHoldBodySchema } from './capture-hold.dto';

@Controller('v1/transfers')
@UseGuards(ApiKeyGuard)
export class CaptureHoldController {
  private readonly validateBody = new ZodValidationPipe(captureHoldBodySchema);

  constructor(private readonly handler: HoldStepHandler) {}

  @Post(':id/capture')
  async captureHold(
    @ClientId() clientId: string,
    @Param('id', new ZodValidationPipe(idSchema)) id: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('x-correlation-id') correlationId: string | undefined,
    @Body() rawBody: unknown,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<unknown> {
    const key = requireIdempotencyKey(idempotencyKey);
    // No body at all is the empty one: capture the whole hold. A JSON `null` is a body, and not a valid one.
    const body = this.validateBody.transform(rawBody === undefined ? {} : rawBody);
    const result = await this.handler.execute({
      clientId,
      transferId: id,
      idempotencyKey: key,
      correlationId: correlationId ?? randomUUID(),
      step: { type: 'CaptureHold', ...(body.amount === undefined ? {} : { amountMinor: body.amount }) },
      // The request as understood: the amount in its wire form, absent when not sent.
      request: {
        path: `/v1/transfers/${id}/capture`,
        body: body.amount === undefined ? {} : { amount: body.amount.toString() },
      },
    });
    switch (result.outcome) {
      case 'not_found':
        throw transferNotFound(id);
      case 'refused':
        throw holdStepProblem(result.reason);
      default:
        return answerKeyed(result, response);
    }
  }
}
