/** Closes a switch over a union of outcomes: reaching it means a case is missing, which tsc reports first. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
