// POST /v1/transfers/{id}/void: releases a placed hold at the client's request (HoldStepHandler).
import { Body, Controller, Headers, Param, Post, Res, UseGuards } from '@nestjs/common';
import { idSchema } from '@oncepay/contracts';
import { ApiKeyGuard, ClientId, ZodValidationPipe } from '@oncepay/http-edge';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { holdStepProblem } from '../hold-step/hold-step.problems';
import { transferNotFound } from '../transfer-problems';
import { HoldStepHandler } from '../hold-step/hold-step.handler';
import { answerKeyed, requireIdempotencyKey } from '../keyed-request';
import { voidHoldBodySchema } from './void-hold.dto';

@Controller('v1/transfers')
@UseGuards(ApiKeyGuard)
export class VoidHoldController {
  private readonly validateBody = new ZodValidationPipe(voidHoldBodySchema);

  constructor(private readonly handler: HoldStepHandler) {}

  @Post(':id/void')
  async voidHold(
    @ClientId() clientId: string,
    @Param('id', new ZodValidationPipe(idSchema)) id: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('x-correlation-id') correlationId: string | undefined,
    @Body() rawBody: unknown,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<unknown> {
    const key = requireIdempotencyKey(idempotencyKey);
    this.validateBody.transform(rawBody === undefined ? {} : rawBody);
    const result = await this.handler.execute({
      clientId,
      transferId: id,
      idempotencyKey: key,
      correlationId: correlationId ?? randomUUID(),
      step: { type: 'VoidHold' },
      request: { path: `/v1/transfers/${id}/void`, body: {} },
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
