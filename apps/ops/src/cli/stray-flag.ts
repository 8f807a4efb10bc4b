// What `npm run dlq` and `npm run outbox` share in reading their arguments: a flag the command does not
// take is a usage error, never ignored (an operator who added `--through` to `list` must not be told
// all went well). parseArgs fills in defaults, so only its tokens say which flags were given.

/** The first flag given (parseArgs with `tokens: true`) that is not among `allowed`, if any. */
export function strayFlag(
  tokens: ReadonlyArray<{ kind: string; name?: string }>,
  allowed: readonly string[],
): string | undefined {
  for (const token of tokens)
    if (token.kind === 'option' && token.name !== undefined && !allowed.includes(token.name))
      return token.name;
  return undefined;
}
