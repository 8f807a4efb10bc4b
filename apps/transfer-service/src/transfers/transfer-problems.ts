// The problem every endpoint about one transfer answers alike.
import { ProblemException } from '@oncepay/http-edge';

/** 404: no such transfer, or another client's (which must look the same). */
export function transferNotFound(id: string): ProblemException {
  return new ProblemException(
    404,
    'TRANSFER_NOT_FOUND',
    'No such transfer',
    `Transfer ${id} does not exist.`,
  );
}
