// W3C trace context across Kafka, so one transfer is one trace from its POST to its notification. The
// context travels in the message headers (`traceparent`, `tracestate`) and, before that, in the outbox
// row's headers, so the relay publishes it later under the span of the request that wrote the row.
// OpenTelemetry's API only: without an SDK registered (tracing off) every call here is a no-op.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';

const tracer = trace.getTracer('@oncepay/messaging');

/** The trace context of each transfer (by aggregate id) a consumer batch is handling. */
const batchContexts = new AsyncLocalStorage<ReadonlyMap<string, Context>>();

/** The context events derived from `aggregateId`'s event continue: its consumer span, else the active one. */
export function traceContextOf(aggregateId: string): Context {
  return batchContexts.getStore()?.get(aggregateId.toLowerCase()) ?? context.active();
}

/** The `traceparent`/`tracestate` headers of a context (none when it holds no span). */
export function traceHeaders(ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The trace id of a transfer being handled (for log lines), if it is traced. */
export function traceIdOf(aggregateId: string): string | undefined {
  const spanContext = trace.getSpanContext(traceContextOf(aggregateId));
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** One span per message the relay publishes, each a child of the context its outbox row carries. */
export function startPublishSpans(
  records: ReadonlyArray<{ topic: string; key: string; headers: Record<string, string> }>,
): { headers: Record<string, string>[]; end(error?: unknown): void } {
  const spans: Span[] = [];
  const headers = records.map((record) => {
    const parent = propagation.extract(ROOT_CONTEXT, record.headers);
    const span = tracer.startSpan(
      `publish ${record.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': record.topic,
          'messaging.kafka.message.key': record.key,
        },
      },
      parent,
    );
    spans.push(span);
    return { ...record.headers, ...traceHeaders(trace.setSpan(parent, span)) };
  });
  return { headers, end: (error) => endAll(spans, error) };
}

/**
 * Runs `work` with one span per consumed event, each a child of the context its message carries, and
 * their contexts reachable by aggregate id (traceContextOf) for the events the work writes.
 */
export async function withConsumeSpans<T>(
  group: string,
  messages: ReadonlyArray<{ aggregateId: string; topic: string; headers: Record<string, string> }>,
  work: () => Promise<T>,
): Promise<T> {
  const spans: Span[] = [];
  const contexts = new Map<string, Context>();
  for (const message of messages) {
    const parent = propagation.extract(ROOT_CONTEXT, message.headers);
    const span = tracer.startSpan(
      `process ${message.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': message.topic,
          'messaging.consumer.group.name': group,
        },
      },
      parent,
    );
    spans.push(span);
    contexts.set(message.aggregateId.toLowerCase(), trace.setSpan(parent, span));
  }
  try {
    const result = await batchContexts.run(contexts, work);
    endAll(spans);
    return result;
  } catch (error) {
    endAll(spans, error);
    throw error;
  }
}

function endAll(spans: Span[], error?: unknown): void {
  for (const span of spans) {
    if (error !== undefined) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}
