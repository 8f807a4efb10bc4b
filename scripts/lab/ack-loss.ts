// A seeded network fault on the real wire: the broker appends a Produce request's records, and its
// response never reaches the producer, because the connection drops after the request was written
// and before the response is read. The producer cannot tell that from a request the broker never
// got, so it sends the batch again. Without idempotence the broker appends it a second time; with it,
// the broker recognises the retry by producer id and sequence number and appends nothing.
//
// It works on the bytes of the Kafka protocol: a request starts with its size (int32), api key (int16,
// 0 for Produce), api version (int16) and correlation id (int32); a response with its size and the
// same correlation id. kafkajs writes each request with one socket.write (network/connection.js).
import type net from 'node:net';

const PRODUCE_API_KEY = 0;
const REQUEST_HEADER_BYTES = 12;
const RESPONSE_HEADER_BYTES = 8;

export class AckLossInjector {
  private armedFor: string | null = null;
  /** The faults that dropped a connection, in order. */
  readonly fired: string[] = [];

  /** The next Produce request written on any instrumented socket loses its response. */
  arm(faultId: string): void {
    if (this.armedFor !== null) throw new Error(`${this.armedFor} is still armed`);
    this.armedFor = faultId;
  }

  /** Whether the armed fault is still waiting for its Produce request. */
  get isArmed(): boolean {
    return this.armedFor !== null;
  }

  /** For createKafkaClient's `instrumentBrokerSocket`. */
  readonly instrument = (socket: net.Socket): void => {
    // The correlation id whose response is dropped, and the fault it belongs to.
    let doomed: { correlationId: number; faultId: string } | null = null;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      const [chunk] = args;
      if (this.armedFor !== null && Buffer.isBuffer(chunk) && chunk.length >= REQUEST_HEADER_BYTES) {
        if (chunk.readInt16BE(4) === PRODUCE_API_KEY) {
          doomed = { correlationId: chunk.readInt32BE(8), faultId: this.armedFor };
          this.armedFor = null;
        }
      }
      return write(...args);
    }) as typeof socket.write;

    // Responses are passed on as they come, except the doomed one: at its first bytes the connection
    // is destroyed and kafkajs is told the broker closed it, as it would be by a real drop.
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    let held: Buffer = Buffer.alloc(0);
    let leftInFrame = 0;
    socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
      if (event !== 'data' || !Buffer.isBuffer(args[0])) return emit(event, ...args);
      const data = held.length > 0 ? Buffer.concat([held, args[0]]) : args[0];
      held = Buffer.alloc(0);
      let passed = 0;
      while (passed < data.length) {
        if (leftInFrame > 0) {
          const step = Math.min(leftInFrame, data.length - passed);
          passed += step;
          leftInFrame -= step;
          continue;
        }
        if (data.length - passed < RESPONSE_HEADER_BYTES) {
          held = data.subarray(passed);
          break;
        }
        const current = doomed;
        if (current && data.readInt32BE(passed + 4) === current.correlationId) {
          if (passed > 0) emit('data', data.subarray(0, passed));
          this.fired.push(current.faultId);
          doomed = null;
          socket.destroy();
          emit('end');
          return true;
        }
        leftInFrame = 4 + data.readInt32BE(passed);
      }
      const complete = data.subarray(0, data.length - held.length);
      return complete.length > 0 ? emit('data', complete) : true;
    }) as typeof socket.emit;
  };
}
