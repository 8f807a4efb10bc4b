// The one answer for an account a client may not see: missing and owned by another client look the
// same, so a client cannot probe which account ids exist.
import { ProblemException } from '@oncepay/http-edge';

export function accountNotFound(id: string): ProblemException {
  return new ProblemException(404, 'ACCOUNT_NOT_FOUND', 'No such account', `Account ${id} does not exist.`);
}
