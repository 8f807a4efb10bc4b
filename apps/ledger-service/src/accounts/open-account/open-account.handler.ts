// Opens an account for the calling client. Opening is retry-safe when the client picks the id: the
// same request again answers with the account it already opened; a different claim on the id is refused.
// Only an operator may open an account allowed to go negative: such an account is where money enters
// the system, so any client holding one could create money.
import { Injectable } from '@nestjs/common';
import type { Role } from '@oncepay/http-edge';
import { randomUUID } from 'node:crypto';
import type { Account } from '../../generated/prisma/client';
import { AccountRepository } from '../account.repository';

export interface OpenAccountCommand {
  ownerClientId: string;
  ownerRole: Role;
  /** Absent: a new id is generated, so the request is not retry-safe. */
  id?: string | undefined;
  currency: string;
  allowNegativeBalance: boolean;
}

/**
 * `opened`: the account was created by this request.
 * `already_open`: the same client already opened this id with the same currency and flag; nothing changed.
 * `id_taken`: the id belongs to an account opened by another client or with other fields.
 * `operator_only`: a client that is not an operator asked for an account allowed to go negative; nothing was written.
 */
export type OpenAccountResult =
  | { outcome: 'opened'; account: Account }
  | { outcome: 'already_open'; account: Account }
  | { outcome: 'id_taken' }
  | { outcome: 'operator_only' };

@Injectable()
export class OpenAccountHandler {
  constructor(private readonly accounts: AccountRepository) {}

  async execute(command: OpenAccountCommand): Promise<OpenAccountResult> {
    if (command.allowNegativeBalance && command.ownerRole !== 'operator') return { outcome: 'operator_only' };
    const requested = {
      id: command.id ?? randomUUID(),
      ownerClientId: command.ownerClientId,
      currency: command.currency,
      allowNegativeBalance: command.allowNegativeBalance,
    };
    const opened = await this.accounts.insertIfAbsent(requested);
    if (opened) return { outcome: 'opened', account: opened };

    const existing = await this.accounts.findById(requested.id);
    // Accounts are never deleted, so the row that made the insert a no-op must still be there.
    if (!existing) throw new Error(`account ${requested.id} conflicted on insert but cannot be read`);
    const sameRequest =
      existing.ownerClientId === requested.ownerClientId &&
      existing.currency === requested.currency &&
      existing.allowNegativeBalance === requested.allowNegativeBalance;
    return sameRequest ? { outcome: 'already_open', account: existing } : { outcome: 'id_taken' };
  }
}
