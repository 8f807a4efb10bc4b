// POST /v1/transfers: authenticates, validates, runs the handler, and turns its outcome into HTTP.
import { Body, Controller, Headers, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiKeyGuard,
  ClientId,
  idempotencyKeySchema,
  ProblemException,
  ZodValidationPipe,
} from '@oncepay/http-edge';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { transferLocation } from '../transfer.resource';
import { requestTransferBodySchema } from './request-transfer.dto';
import { RequestTransferHandler } from './request-transfer.handler';

@Controller('v1/transfers')
@UseGuards(ApiKeyGuard)
export class RequestTransferController {
  private readonly validateKey = new ZodValidationPipe(idempotencyKeySchema, 'Idempotency-Key');
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
    if (idempotencyKey === undefined) {
      throw new ProblemException(
        400,
        'IDEMPOTENCY_KEY_REQUIRED',
        'The Idempotency-Key header is required',
        'Send a unique key per transfer; retry with the same key.',
      );
    }
    const result = await this.handler.execute({
      clientId,
      idempotencyKey: this.validateKey.transform(idempotencyKey),
      // Always set: configureHttp's middleware validates the caller's or assigns a new one.
      correlationId: correlationId ?? randomUUID(),
      body: this.validateBody.transform(rawBody),
    });
    switch (result.outcome) {
      case 'accepted':
      case 'replayed': {
        void response.status(result.status);
        const id = (result.body as { id?: unknown }).id;
        if (typeof id === 'string') void response.header('Location', transferLocation(id));
        if (result.outcome === 'replayed') void response.header('Idempotent-Replayed', 'true');
        return result.body;
      }
      case 'key_reused_with_other_request':
        throw new ProblemException(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used with a different request',
          'Use a new key for a new transfer.',
        );
    }
  }
}
