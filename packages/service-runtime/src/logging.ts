// One log format for everything a service writes: pino's JSON lines, written asynchronously, each with
// level, time (ISO 8601), service, message, and the correlation id and trace id of the request or event
// being handled. Nest's logger, kafkajs (through its logCreator) and the access log all go through it.
import type { LoggerService } from '@nestjs/common';
import { traceIdOf, type KafkaClientOptions } from '@oncepay/messaging';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Fields never written as they are, at the top of a line or up to two objects down. */
const SECRET_FIELDS = ['authorization', 'password', 'apiKey', 'secret', 'token', 'cookie'];

/** LOG_LEVEL (Nest's names) to pino's. */
const PINO_LEVELS: Record<string, pino.Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * The service's logger. Asynchronous (a buffer flushed in the background, and on exit): a burst of
 * lines never blocks a request. The fields of SECRET_FIELDS are replaced before a line is written.
 */
export function createServiceLogger(
  serviceName: string,
  logLevel: string,
  destination: DestinationStream = pino.destination({ sync: false }),
): Logger {
  return pino(
    {
      level: PINO_LEVELS[logLevel] ?? 'info',
      base: { service: serviceName },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // The trace of the transfer a line names (a consumer handles a batch of transfers, each in its own
      // trace); the access log names its request's. The correlation id is a field of the lines that have
      // one (the access log, every line about a transfer): no AsyncLocalStorage, which on Node 20 makes
      // every promise of the process pay for it.
      mixin: (fields: { transferId?: unknown }) => {
        const traceId = typeof fields.transferId === 'string' ? traceIdOf(fields.transferId) : undefined;
        return traceId ? { traceId } : {};
      },
      redact: {
        paths: SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** Nest's LoggerService on pino: `logger.log({ message, ...details })` and plain strings both work. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /**
   * Nest passes the logger's context (its class name) last; before it may come an error's stack (a
   * string) or details (an object), which become fields of the line.
   */
  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    const last = rest[rest.length - 1];
    const context = typeof last === 'string' ? last : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    for (const param of context ? rest.slice(0, -1) : rest) {
      if (typeof param === 'string') fields.stack = param;
      else if (param !== null && typeof param === 'object') Object.assign(fields, param);
    }
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (message !== null && typeof message === 'object') {
      const { message: text, ...details } = message as Record<string, unknown>;
      this.logger[level]({ ...fields, ...details }, typeof text === 'string' ? text : '');
    } else this.logger[level](fields, String(message));
  }
}

/** kafkajs's levels (ERROR 1, WARN 2, INFO 4, DEBUG 5) to pino's. */
const KAFKAJS_LEVELS: Record<number, pino.Level> = {
  0: 'info',
  1: 'error',
  2: 'warn',
  4: 'info',
  5: 'debug',
};

/** kafkajs's own lines in the service's format, as `logger: "kafkajs"` with their namespace. */
export function kafkajsLogTo(logger: Logger): NonNullable<KafkaClientOptions['log']> {
  const kafkajs = logger.child({ logger: 'kafkajs' });
  return (level, namespace, entry) => {
    // Its own time and logger name give way to the service's.
    const details: Record<string, unknown> = { ...entry };
    for (const own of ['message', 'timestamp', 'logger']) delete details[own];
    kafkajs[KAFKAJS_LEVELS[level] ?? 'info']({ namespace, ...details }, String(entry.message));
  };
}
