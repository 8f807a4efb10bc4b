// POST /v1/accounts: 201 with a new account, 200 with the account a retry with the same Idempotency-Key
// already opened, 422 when that key opened an account with other fields, 403 when a client that is not
// an operator asks for an account allowed to go negative.
import { assertNever } from '@oncepay/contracts';
import { Body, Controller, Headers, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiKeyGuard,
  ClientId,
  ClientRole,
  idempotencyKeySchema,
  ProblemException,
  roleRequired,
  ZodValidationPipe,
  type Role,
} from '@oncepay/http-edge';
import { accountLocation, toAccountResource, type AccountResource } from '../account.resource';
import { openAccountBodySchema, type OpenAccountBody } from './open-account.dto';
import { OpenAccountHandler } from './open-account.handler';

/** The part of the HTTP response (Fastify's reply) this controller sets. */
interface StatusAndHeaders {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

@Controller('v1/accounts')
@UseGuards(ApiKeyGuard)
export class OpenAccountController {
  private readonly validateKey = new ZodValidationPipe(idempotencyKeySchema.optional(), 'Idempotency-Key');

  constructor(private readonly openAccount: OpenAccountHandler) {}

  @Post()
  async open(
    @ClientId() clientId: string,
    @ClientRole() role: Role,
    @Headers('idempotency-key') rawKey: string | undefined,
    @Body(new ZodValidationPipe(openAccountBodySchema)) body: OpenAccountBody,
    @Res({ passthrough: true }) response: StatusAndHeaders,
  ): Promise<AccountResource> {
    const result = await this.openAccount.execute({
      ownerClientId: clientId,
      ownerRole: role,
      idempotencyKey: this.validateKey.transform(rawKey),
      ...body,
    });
    switch (result.outcome) {
      case 'opened':
        response.status(201);
        response.header('Location', accountLocation(result.account.id));
        return toAccountResource(result.account);
      case 'already_open':
        response.status(200);
        response.header('Idempotent-Replayed', 'true');
        return toAccountResource(result.account);
      case 'key_reused':
        throw new ProblemException(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key opened an account with other fields',
          'Use a new key for a new account, or repeat the original request unchanged to get the account it opened.',
        );
      case 'operator_only':
        throw roleRequired(
          'operator',
          'Only an operator may open an account with allowNegativeBalance (a treasury or settlement account).',
        );
      default:
        return assertNever(result);
    }
  }
}
