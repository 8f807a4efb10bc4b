// POST /v1/accounts: 201 with a new account, 200 with the account a retry already opened, 409 when the
// id is taken by another client's account or an account with other fields, 403 when a client that is
// not an operator asks for an account allowed to go negative.
import { assertNever } from '@oncepay/contracts';
import { Body, Controller, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiKeyGuard,
  ClientId,
  ClientRole,
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
  constructor(private readonly openAccount: OpenAccountHandler) {}

  @Post()
  async open(
    @ClientId() clientId: string,
    @ClientRole() role: Role,
    @Body(new ZodValidationPipe(openAccountBodySchema)) body: OpenAccountBody,
    @Res({ passthrough: true }) response: StatusAndHeaders,
  ): Promise<AccountResource> {
    const result = await this.openAccount.execute({ ownerClientId: clientId, ownerRole: role, ...body });
    switch (result.outcome) {
      case 'opened':
        response.status(201);
        response.header('Location', accountLocation(result.account.id));
        return toAccountResource(result.account);
      case 'already_open':
        response.status(200);
        return toAccountResource(result.account);
      case 'id_taken':
        throw new ProblemException(
          409,
          'ACCOUNT_EXISTS',
          'An account with this id already exists',
          'Choose another id, or repeat the original request unchanged to get the account it opened.',
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
