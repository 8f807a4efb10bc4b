// POST /v1/transfers: authenticates, validates, runs the handler, and turns its outcome into HTTP.
import { Body, Controller, Headers, Post, Res, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, ClientId, ZodValidationPipe } from '@oncepay/http-edge';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { answerKeyed, requireIdempotencyKey } from '../keyed-request';
import { requestTransferBodySchema } from './request-transfer.dto';
import { RequestTransferHandler } from './request-transfer.handler';

@Controller('v1/transfers')
@UseGuards(ApiKeyGuard)
export class RequestTransferController {
  private readonly validateBody = new ZodValidationPipe(requestTransferBodySchema);

  constructor(private readonly handler: RequestTransferHandler) {}

  @Post()
  async requestTransfer(
    @ClientId() clientId: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('x-correlation-id') correlationId: string | undefined,
    @Body() rawBody: unknown,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<unknown> {
    const result = await this.handler.execute({
      clientId,
      idempotencyKey: requireIdempotencyKey(idempotencyKey),
      // Always set: configureHttp's middleware validates the caller's or assigns a new one.
      correlationId: correlationId ?? randomUUID(),
      body: this.validateBody.transform(rawBody),
    });
    return answerKeyed(result, response);
  }
}
