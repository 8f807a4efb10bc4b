// Proves `npm run dlq`'s argument parsing: each command with its flags, topics named any of the ways an
// operator would (with or without the namespace or .dlt), and every mistake a usage error that says
// what is wrong, before anything connects.
import { deadLetterTopicNamed, parseDlqArgs } from './cli-options';

const NS = 'staging.';
const REQUESTS_DLT = 'staging.oncepay.transfer-requests.v1.dlt';
const RESULTS_DLT = 'staging.oncepay.ledger-results.v1.dlt';
const OUTCOMES_DLT = 'staging.oncepay.transfer-outcomes.v1.dlt';

describe('parseDlqArgs', () => {
  it('lists every dead-letter topic of the namespace by default, or the one --topic names', () => {
    expect(parseDlqArgs(['list'], NS)).toEqual({
      kind: 'list',
      topics: [REQUESTS_DLT, RESULTS_DLT, OUTCOMES_DLT],
      json: false,
    });
    expect(parseDlqArgs(['list', '--topic', 'oncepay.ledger-results.v1', '--json'], NS)).toEqual({
      kind: 'list',
      topics: [RESULTS_DLT],
      json: true,
    });
  });

  it('shows one ref', () => {
    expect(parseDlqArgs(['show', `${RESULTS_DLT}/2/17`], NS)).toEqual({
      kind: 'show',
      ref: { topic: RESULTS_DLT, partition: 2, offset: '17' },
      json: false,
    });
  });

  it('replays or discards through a ref or all, with the reason trimmed', () => {
    expect(
      parseDlqArgs(['replay', '--through', `${RESULTS_DLT}/0/3`, '--reason', ' fixed #42 '], NS),
    ).toEqual({
      kind: 'replay',
      selection: { kind: 'through', ref: { topic: RESULTS_DLT, partition: 0, offset: '3' } },
      reason: 'fixed #42',
    });
    expect(
      parseDlqArgs(['discard', '--all', '--topic', REQUESTS_DLT, '--reason', 'failed by design'], NS),
    ).toEqual({
      kind: 'discard',
      selection: { kind: 'all', topics: [REQUESTS_DLT] },
      reason: 'failed by design',
    });
  });

  it('answers --help before anything else', () => {
    expect(parseDlqArgs(['replay', '--help'], NS)).toEqual({ kind: 'help' });
  });

  it.each([
    [[], 'name a command'],
    [['purge'], 'unknown command "purge"'],
    [['list', '--bogus'], "Unknown option '--bogus'"],
    [['list', 'extra'], 'unexpected argument "extra"'],
    [['show'], 'show takes one ref'],
    [['show', 'oncepay.ledger-results.v1.dlt/0/1'], 'is not one of the dead-letter topics'],
    [['show', `${RESULTS_DLT}/x/1`], 'is not a dead-letter ref'],
    [['replay', '--all'], 'replay needs --reason'],
    [['replay', '--all', '--reason', '  '], 'replay needs --reason'],
    [['replay', '--reason', 'r'], 'exactly one of --through <ref> and --all'],
    [['discard', '--all', '--through', `${RESULTS_DLT}/0/1`, '--reason', 'r'], 'exactly one of'],
    [['discard', '--through', `${RESULTS_DLT}/0/1`, '--topic', RESULTS_DLT, '--reason', 'r'], 'drop --topic'],
    [['list', '--topic', 'oncepay.payments.v1'], 'unknown topic "oncepay.payments.v1"'],
    // A flag the command does not take is refused, never ignored.
    [['list', '--through', `${RESULTS_DLT}/0/1`, '--reason', 'r'], 'list takes no --through'],
    [['show', `${RESULTS_DLT}/0/1`, '--all'], 'show takes no --all'],
    [['show', `${RESULTS_DLT}/0/1`, '--topic', RESULTS_DLT], 'show takes no --topic'],
    [['replay', '--all', '--reason', 'r', '--json'], 'replay takes no --json'],
  ])('refuses %j: %s', (argv, message) => {
    expect(parseDlqArgs(argv, NS)).toEqual({
      kind: 'usage-error',
      message: expect.stringContaining(message),
    });
  });
});

describe('deadLetterTopicNamed', () => {
  it.each([
    'oncepay.transfer-outcomes.v1',
    'oncepay.transfer-outcomes.v1.dlt',
    'staging.oncepay.transfer-outcomes.v1',
    OUTCOMES_DLT,
  ])('reads %s as the namespace’s dead-letter topic', (name) => {
    expect(deadLetterTopicNamed(name, NS)).toEqual([OUTCOMES_DLT]);
  });

  it('works without a namespace', () => {
    expect(deadLetterTopicNamed('oncepay.transfer-outcomes.v1', '')).toEqual([
      'oncepay.transfer-outcomes.v1.dlt',
    ]);
  });
});
