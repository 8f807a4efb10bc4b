// Proves a page size is read from decimal digits only: what Number() would also read (hex, exponents,
// spaces, a trailing dot) is refused, and the bounds and the default hold.
import { pageLimitSchema } from './page-limit';

describe('pageLimitSchema', () => {
  const limit = pageLimitSchema(100, 50);

  it.each([
    [undefined, 50],
    ['1', 1],
    ['100', 100],
    ['007', 7],
  ])('reads %p as %p', (given, expected) => {
    expect(limit.parse(given)).toBe(expected);
  });

  it.each(['0x10', '1e1', ' 5', '5 ', '5.', '+5', '-5', '', 'ten'])(
    'refuses %p as not decimal digits',
    (given) => {
      expect(limit.safeParse(given).error?.issues[0]?.message).toBe(
        'Expected a whole number in decimal digits',
      );
    },
  );

  it.each(['0', '101'])('refuses %p as out of range', (given) => {
    expect(limit.safeParse(given).error?.issues[0]?.code).toMatch(/^too_(small|big)$/);
  });
});
