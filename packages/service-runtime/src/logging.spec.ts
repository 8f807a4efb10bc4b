// Proves every line a service writes has one shape (level, ISO time, service, message), keeps Nest's
// details and kafkajs's fields, and never a secret.
import { Writable } from 'node:stream';
import { createServiceLogger, kafkajsLogTo, PinoNestLogger } from './logging';

function capture(level = 'log') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createServiceLogger('transfer-service', level, sink) };
}

describe('the service log', () => {
  it("writes Nest's lines as JSON with level, ISO time, service, context and the details as fields", () => {
    const { lines, logger } = capture();
    const nest = new PinoNestLogger(logger);
    nest.log({ message: 'transfer COMPLETED', transferId: 't-1' }, 'RecordLedgerResultHandler');
    nest.warn('plain text', { attempt: 2 }, 'OutboxRelay');
    nest.error('it broke', 'Error: it broke\n    at here', 'ExceptionsHandler');
    expect(lines[0]).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'transfer-service',
      context: 'RecordLedgerResultHandler',
      transferId: 't-1',
      message: 'transfer COMPLETED',
    });
    expect(lines[1]).toMatchObject({
      level: 'warn',
      context: 'OutboxRelay',
      attempt: 2,
      message: 'plain text',
    });
    expect(lines[2]).toMatchObject({ level: 'error', stack: expect.stringContaining('at here') });
  });

  it('redacts what is named like a secret', () => {
    const { lines, logger } = capture();
    logger.info({ authorization: 'Bearer k', headers: { authorization: 'Bearer k' }, password: 'p' }, 'x');
    expect(JSON.stringify(lines[0])).not.toContain('Bearer k');
    expect(lines[0]).toMatchObject({ authorization: '[redacted]', password: '[redacted]' });
  });

  it("writes kafkajs's lines in the same shape, at its level, as logger kafkajs", () => {
    const { lines, logger } = capture();
    kafkajsLogTo(logger)(2, 'Producer', {
      message: 'Limiting retries',
      timestamp: '2026-11-30T00:00:00.000Z',
      logger: 'kafkajs',
      groupId: 'g',
    });
    expect(lines[0]).toMatchObject({
      level: 'warn',
      service: 'transfer-service',
      logger: 'kafkajs',
      namespace: 'Producer',
      groupId: 'g',
      message: 'Limiting retries',
    });
  });

  it('follows LOG_LEVEL', () => {
    const { lines, logger } = capture('warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => line.message)).toEqual(['shown']);
  });
});
