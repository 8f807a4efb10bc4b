// Opens an account for the calling client. Opening is retry-safe with an Idempotency-Key: the account
// id is derived from the client and the key (accountIdFor), so the same request again finds the account
// it opened, and the same key with other fields is refused. The id never depends on another client's
// accounts, so opening tells a client nothing about them. Only an operator may open an account allowed
// to go negative: such an account is where money enters the system, so any client holding one could
// create money.
import { Injectable } from '@nestjs/common';
import { accountIdFor, newId } from '@oncepay/contracts';
import type { Role } from '@oncepay/http-edge';
import type { Account } from '../../generated/prisma/client';
import { AccountRepository } from '../account.repository';

export interface OpenAccountCommand {
  ownerClientId: string;
  ownerRole: Role;
  /** Absent: the account gets a random id, so a retry opens a second account. */
  idempotencyKey?: string | undefined;
  currency: string;
  allowNegativeBalance: boolean;
}

/**
 * `opened`: the account was created by this request.
 * `already_open`: this client opened an account with this key and the same fields before; nothing changed.
 * `key_reused`: this client opened an account with this key and other fields; nothing changed.
 * `operator_only`: a client that is not an operator asked for an account allowed to go negative; nothing was written.
 */
export type OpenAccountResult =
  | { outcome: 'opened'; account: Account }
  | { outcome: 'already_open'; account: Account }
  | { outcome: 'key_reused' }
  | { outcome: 'operator_only' };

@Injectable()
export class OpenAccountHandler {
  constructor(private readonly accounts: AccountRepository) {}

  async execute(command: OpenAccountCommand): Promise<OpenAccountResult> {
    if (command.allowNegativeBalance && command.ownerRole !== 'operator') return { outcome: 'operator_only' };
    const requested = {
      id: command.idempotencyKey ? accountIdFor(command.ownerClientId, command.idempotencyKey) : newId(),
      ownerClientId: command.ownerClientId,
      currency: command.currency,
      allowNegativeBalance: command.allowNegativeBalance,
    };
    const opened = await this.accounts.insertIfAbsent(requested);
    if (opened) return { outcome: 'opened', account: opened };

    const existing = await this.accounts.findById(requested.id);
    // Accounts are never deleted, so the row that made the insert a no-op must still be there. Its
    // owner is this client: a derived id names one client's key (a random one collides with nothing).
    if (existing?.ownerClientId !== requested.ownerClientId)
      throw new Error(`account ${requested.id} conflicted on insert but is not the client's own`);
    const sameRequest =
      existing.currency === requested.currency &&
      existing.allowNegativeBalance === requested.allowNegativeBalance;
    return sameRequest ? { outcome: 'already_open', account: existing } : { outcome: 'key_reused' };
  }
}
