// How a refused hold step reads to the client: one problem+json code per refusal (docs: the design of
// issue #17). 409 for a hold in a state the step cannot apply to; 422 for a capture it can never take.
import { ProblemException } from '@oncepay/http-edge';
import type { HoldStepResult } from './hold-step.handler';

type Refusal = Extract<HoldStepResult, { outcome: 'refused' }>['reason'];

const REFUSALS: Record<Refusal, { status: number; title: string; detail: string }> = {
  NOT_A_HOLD: {
    status: 409,
    title: 'The transfer is not a hold',
    detail: 'Only a transfer requested with `hold` can be captured or voided.',
  },
  HOLD_NOT_PLACED: {
    status: 409,
    title: 'The hold is not placed yet',
    detail: 'The ledger has not reserved the amount yet; retry shortly with the same Idempotency-Key.',
  },
  HOLD_FAILED: {
    status: 409,
    title: 'The hold failed',
    detail: 'The ledger refused the hold (see failureReason); nothing is held.',
  },
  HOLD_CAPTURED: { status: 409, title: 'The hold is captured', detail: 'It was captured already.' },
  HOLD_VOIDED: { status: 409, title: 'The hold is voided', detail: 'It was voided already.' },
  HOLD_EXPIRED: {
    status: 409,
    title: 'The hold has expired',
    detail: 'Past holdExpiresAt a hold can neither be captured nor voided; what it holds is released.',
  },
  CAPTURE_EXCEEDS_HOLD: {
    status: 422,
    title: 'The capture exceeds the hold',
    detail: 'A capture takes at most the amount held.',
  },
};

export function holdStepProblem(reason: Refusal): ProblemException {
  const { status, title, detail } = REFUSALS[reason];
  return new ProblemException(status, reason, title, detail);
}

export const HOLD_STEP_REFUSALS = Object.keys(REFUSALS) as Refusal[];
