// W3C trace context across Kafka, so one transfer is one trace from its POST to its notification. The
// context travels in the message headers (`traceparent`, `tracestate`) and, before that, in the outbox
// row's headers, so the relay publishes it later under the span of the request that wrote the row.
// OpenTelemetry's API only: without an SDK registered (tracing off) nothing here does any work.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { DLT_HEADERS } from './dead-letter';

const tracer = trace.getTracer('@oncepay/messaging');

/**
 * Where the span an event continues is found, without an AsyncLocalStorage (on Node 20 the first
 * AsyncLocalStorage.run turns on promise hooks for the whole process; measured, a quarter of the
 * throughput): the consumer span of each transfer a consumer batch is handling, by aggregate id, and
 * the server span of each request in progress, by correlation id (every event a request causes carries
 * it). A request's transfer is new, so the two never meet.
 */
const consumedContexts = new Map<string, Context>();
const requestContexts = new Map<string, Context>();

/** Whether an SDK registered a propagator, i.e. tracing is on (the no-op propagator has no fields). */
export function tracingOn(): boolean {
  return propagation.fields().length > 0;
}

/** The context an event continues: its transfer's consumer span, its request's span, else the active one. */
export function traceContextOf(event: { aggregateId: string; correlationId: string }): Context {
  return (
    consumedContexts.get(event.aggregateId.toLowerCase()) ??
    requestContexts.get(event.correlationId) ??
    context.active()
  );
}

/**
 * The server span of one HTTP request, a child of the caller's `traceparent` if it sent one; the events
 * the request writes continue it (traceContextOf, by the request's correlation id). Null when tracing is off.
 */
export function startRequestSpan(request: {
  method: string;
  route: string;
  correlationId: string;
  headers: Record<string, unknown>;
}): { traceId: string; end(statusCode: number): void } | null {
  if (!tracingOn()) return null;
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const span = tracer.startSpan(
    `${request.method} ${request.route}`,
    {
      kind: SpanKind.SERVER,
      // The correlation id stays OncePay's own; on the span it links the two (and the log lines carry both).
      attributes: {
        'http.request.method': request.method,
        'http.route': request.route,
        'oncepay.correlation_id': request.correlationId,
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  // Only a sampled trace travels on (see traceHeaders). Two requests with one correlation id (a client's
  // retry) share the entry: the later one wins, and the earlier one's end leaves it in place.
  if (span.isRecording()) requestContexts.set(request.correlationId, ctx);
  let ended = false;
  return {
    traceId: span.spanContext().traceId,
    end: (statusCode) => {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      if (requestContexts.get(request.correlationId) === ctx) requestContexts.delete(request.correlationId);
    },
  };
}

/** Whether `ctx` holds a span the sampler kept. */
function sampled(ctx: Context): boolean {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/**
 * The `traceparent`/`tracestate` headers of a context, for a sampled trace only. A trace the sampler
 * dropped at the request travels no further: no header in the outbox row or on Kafka, no span in the
 * relay or the consumers, which only ever continue a trace. The transfers nobody will look at then cost
 * next to nothing downstream.
 */
export function traceHeaders(ctx: Context): Record<string, string> {
  if (!tracingOn() || !sampled(ctx)) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The trace id of a transfer a consumer is handling (for its log lines), if it is traced. */
export function traceIdOf(aggregateId: string): string | undefined {
  const ctx = consumedContexts.get(aggregateId.toLowerCase());
  const spanContext = ctx && trace.getSpanContext(ctx);
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * One span per message the relay publishes, each a child of the context its outbox row carries. A dead
 * letter (written through the outbox with its settlement) keeps the headers it arrived with: a replay
 * sends them back, so the replayed event continues its own trace, not the relay's.
 */
export function startPublishSpans(
  records: ReadonlyArray<{ topic: string; key: string; headers: Record<string, string> }>,
): { headers: Record<string, string>[]; end(error?: unknown): void } {
  if (!tracingOn()) return { headers: records.map((record) => record.headers), end: () => undefined };
  const spans: Span[] = [];
  const headers = records.map((record) => {
    if (!record.headers.traceparent || DLT_HEADERS.reason in record.headers) return record.headers;
    const { parent, span } = startMessageSpan('publish', record.topic, record.headers, {
      'messaging.kafka.message.key': record.key,
    });
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
  if (!tracingOn()) return work();
  const spans: Span[] = [];
  const keys: string[] = [];
  for (const message of messages) {
    if (!message.headers.traceparent) continue;
    const { parent, span } = startMessageSpan('process', message.topic, message.headers, {
      'messaging.consumer.group.name': group,
    });
    spans.push(span);
    const key = message.aggregateId.toLowerCase();
    keys.push(key);
    consumedContexts.set(key, trace.setSpan(parent, span));
  }
  try {
    const result = await work();
    endAll(spans);
    return result;
  } catch (error) {
    endAll(spans, error);
    throw error;
  } finally {
    for (const key of keys) consumedContexts.delete(key);
  }
}

/** A `publish` (producer) or `process` (consumer) span of one message, a child of the context its headers carry. */
function startMessageSpan(
  operation: 'publish' | 'process',
  topic: string,
  headers: Record<string, string>,
  attributes: Record<string, string>,
): { parent: Context; span: Span } {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(
    `${operation} ${topic}`,
    {
      kind: operation === 'publish' ? SpanKind.PRODUCER : SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': operation,
        'messaging.destination.name': topic,
        ...attributes,
      },
    },
    parent,
  );
  return { parent, span };
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
