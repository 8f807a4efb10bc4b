// Proves the relay tells the broker's failures from the records' on kafkajs' own error classes, as its
// producer throws them (wrapped in KafkaJSNumberOfRetriesExceeded when its retries gave up): an outage
// must never charge or park a row, and a refused record must not back off the whole relay forever.
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { SendQueueFullError, UnacknowledgedPartitionsError } from './producer';
import { isInfrastructureFailure } from './publish-failure';

/** A protocol error as kafkajs decodes it from a broker's error code. */
function protocolError(type: string, code: number, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(type), { type, code, retriable }));
}

const gaveUp = (cause: Error) =>
  new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 5_000 });

describe('isInfrastructureFailure', () => {
  it.each([
    [
      'a refused connection, after the retries',
      gaveUp(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092')),
    ],
    ['a request timeout', new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')],
    ['not enough replicas', gaveUp(protocolError('NOT_ENOUGH_REPLICAS', 19, true))],
    ['a leader election', gaveUp(protocolError('NOT_LEADER_FOR_PARTITION', 6, true))],
    ['a disconnected producer', new KafkaJSError('The producer is disconnected')],
    ['a socket error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a full send queue', new SendQueueFullError('64 Kafka sends are already waiting')],
    ['a partition that never answered', new UnacknowledgedPartitionsError(['oncepay.t/1'])],
    // An ACL or a credential an operator changed: every row alike, so nothing parks while it is fixed.
    ['a topic the producer may not write', protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false)],
    [
      'refused credentials',
      new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)(
        'SASL PLAIN authentication failed',
      ),
    ],
  ])('%s is the broker’s', (_, error) => {
    expect(isInfrastructureFailure(error)).toBe(true);
  });

  it.each([
    [
      'a topic that does not exist, after the retries',
      gaveUp(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, true)),
    ],
    ['a record larger than the broker accepts', protocolError('MESSAGE_TOO_LARGE', 10, false)],
    ['an invalid record', protocolError('INVALID_RECORD', 87, false)],
    ['anything else', new TypeError('cannot read properties of undefined')],
  ])('%s is the row’s', (_, error) => {
    expect(isInfrastructureFailure(error)).toBe(false);
  });
});
