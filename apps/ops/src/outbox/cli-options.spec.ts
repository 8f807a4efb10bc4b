// Proves `npm run outbox` reads its arguments strictly (a wrong one is a usage error before any
// connection) and finds the local stack's databases as their outbox operator roles by default.
import { outboxOperatorRoleOf as stackOperatorRoleOf } from '../../../../scripts/infra/services';
import { outboxDatabaseUrls, outboxOperatorRoleOf } from '../config/outbox-databases';
import { parseOutboxCommand } from './cli-options';

describe('npm run outbox arguments', () => {
  it.each([
    [['list'], { kind: 'list', services: ['transfer', 'ledger'], json: false }],
    [['list', '--service', 'ledger', '--json'], { kind: 'list', services: ['ledger'], json: true }],
    [['show', 'transfer', '42'], { kind: 'show', service: 'transfer', position: '42', json: false }],
    [['release', 'ledger', '7'], { kind: 'release', service: 'ledger', position: '7' }],
    [
      ['discard', 'transfer', '9', '--reason', ' topic retired '],
      { kind: 'discard', service: 'transfer', position: '9', reason: 'topic retired' },
    ],
    [['--help'], { kind: 'help' }],
  ])('%j', (argv, expected) => {
    expect(parseOutboxCommand(argv)).toEqual(expected);
  });

  it.each([
    [[], 'name a command'],
    [['purge'], 'unknown command "purge"'],
    [['list', '--service', 'notification'], 'the service is transfer or ledger, got "notification"'],
    [['release', 'transfer'], 'usage: release <service> <position>'],
    [['release', 'transfer', '0'], 'a positive 64-bit integer; got "0"'],
    [['release', 'transfer', '12abc'], 'a positive 64-bit integer; got "12abc"'],
    [['release', 'transfer', '9223372036854775808'], 'a positive 64-bit integer; got "9223372036854775808"'],
    [['release', 'transfer', '3', '--reason', 'x'], '--reason goes with discard only'],
    [['discard', 'transfer', '3'], 'discard needs --reason'],
    [['discard', 'transfer', '3', '--reason', '   '], 'discard needs --reason'],
    [['list', '--force'], "Unknown option '--force'"],
    // A flag the command does not take is refused, never ignored.
    [['list', '--reason', 'x'], '--reason goes with discard only'],
    [['show', 'transfer', '3', '--service', 'ledger'], 'show names the service as its first argument'],
    [['release', 'transfer', '3', '--json'], 'release takes no --json'],
    [['discard', 'transfer', '3', '--reason', 'r', '--json'], 'discard takes no --json'],
  ])('%j is a usage error', (argv, message) => {
    const parsed = parseOutboxCommand(argv);
    expect(parsed).toEqual({ kind: 'usage-error', message: expect.stringContaining(message) });
  });

  it('connects to the local stack as the outbox operator roles unless URLs are given', () => {
    expect(outboxOperatorRoleOf('transfer')).toBe(stackOperatorRoleOf('transfer'));
    expect(outboxOperatorRoleOf('ledger')).toBe(stackOperatorRoleOf('ledger'));
    expect(outboxDatabaseUrls({ ONCEPAY_POSTGRES_PORT: '55432' })).toEqual({
      transfer:
        'postgresql://oncepay_transfer_outbox_operator:oncepay-dev-role@127.0.0.1:55432/oncepay_transfer',
      ledger: 'postgresql://oncepay_ledger_outbox_operator:oncepay-dev-role@127.0.0.1:55432/oncepay_ledger',
    });
    expect(outboxDatabaseUrls({ TRANSFER_DATABASE_URL: 'postgresql://x@h/t' }).transfer).toBe(
      'postgresql://x@h/t',
    );
    expect(() => outboxDatabaseUrls({ ONCEPAY_POSTGRES_PORT: 'five' })).toThrow(/must be a port number/);
  });
});
