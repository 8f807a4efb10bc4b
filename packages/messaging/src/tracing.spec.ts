// Proves the relay's publish spans with an SDK registered: an event's message continues the trace its
// outbox row carries under a publish span of its own, while a dead letter keeps the headers it arrived
// with, so a replay of it continues the event's own trace and not the relay's.
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { DLT_HEADERS } from './dead-letter';
import { startPublishSpans } from './tracing';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = (spanId: string) => `00-${TRACE_ID}-${spanId}-01`;

describe('startPublishSpans', () => {
  const exporter = new InMemorySpanExporter();

  beforeAll(() => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
  });

  it("publishes an event under a span of its own and leaves a dead letter's trace as it arrived", () => {
    const event = {
      topic: 'oncepay.ledger-results.v1',
      key: 'k1',
      headers: { traceparent: traceparent('00f067aa0ba902b7') },
    };
    const deadLetter = {
      topic: 'oncepay.transfer-requests.v1.dlt',
      key: 'k2',
      headers: { traceparent: traceparent('b7ad6b7169203331'), [DLT_HEADERS.reason]: 'handler failed' },
    };

    const spans = startPublishSpans([event, deadLetter]);
    spans.end();

    const [published] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(published).toMatchObject({
      name: 'publish oncepay.ledger-results.v1',
      parentSpanContext: expect.objectContaining({ spanId: '00f067aa0ba902b7' }),
    });
    expect(spans.headers[0]?.traceparent).toBe(traceparent(published?.spanContext().spanId as string));
    expect(spans.headers[1]).toEqual(deadLetter.headers);
  });
});
