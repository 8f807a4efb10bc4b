/**
 * Closes a switch over a union: reaching it means a case is missing, which the compiler (and the
 * switch-exhaustiveness lint rule) reports first. Bigints are printed as strings, as in the events.
 */
export function assertNever(value: never): never {
  throw new Error(
    `unhandled case: ${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
  );
}
