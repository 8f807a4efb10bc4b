// Proves one transfer is one trace: the three services, configured only by the standard OTEL_* variables
// (OTLP over http/json), export to a receiver in this test, and the spans of the POST, the relays'
// publishes and the consumers' processing, from all three services, share the POST's trace id. Every
// log line that carries the request's correlation id carries that trace id too, in one JSON shape.
import { createLedgerClient, createTransferClient } from '@oncepay/client';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bootServices, TEST_CLIENTS, waitFor, type BootedServices } from '@oncepay/test-support';

type ServiceName = 'transfer' | 'ledger' | 'notification';

interface ReceivedSpan {
  service: string;
  traceId: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP receiver for JSON: what a collector would get, kept in memory. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.url === '/v1/traces') spans.push(...spansOf(JSON.parse(body) as OtlpTraces));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpAttributes = Array<{ key: string; value: OtlpValue }>;
interface OtlpTraces {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttributes };
    scopeSpans: Array<{ spans: Array<{ traceId: string; name: string; attributes?: OtlpAttributes }> }>;
  }>;
}

function attributesOf(list: OtlpAttributes = []): Record<string, unknown> {
  return Object.fromEntries(
    list.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue]),
  );
}

function spansOf(body: OtlpTraces): ReceivedSpan[] {
  return body.resourceSpans.flatMap((resourceSpan) => {
    const service = String(attributesOf(resourceSpan.resource.attributes)['service.name']);
    return resourceSpan.scopeSpans.flatMap((scope) =>
      scope.spans.map((span) => ({
        service,
        traceId: span.traceId,
        name: span.name,
        attributes: attributesOf(span.attributes),
      })),
    );
  });
}

describe('one trace per transfer, exported over OTLP', () => {
  const NAMES = ['ledger', 'transfer', 'notification'] as const;
  let stack: BootedServices<ServiceName> | undefined;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    stack = await bootServices(NAMES, { ledger: env, transfer: env, notification: env });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('carries the POST’s trace through the relay, the ledger, the answer and the notification', async () => {
    const ledger = stack!.baseUrl('ledger');
    const transfers = stack!.baseUrl('transfer');
    const open = async (client: { apiKey: string }, allowNegativeBalance: boolean) =>
      (
        await createLedgerClient(ledger, client).POST('/v1/accounts', {
          body: { currency: 'EUR', allowNegativeBalance },
        })
      ).data!.id;
    const treasury = await open(TEST_CLIENTS.operator, true);
    const alice = await open(TEST_CLIENTS.a, false);
    const correlationId = `trace-test-${randomUUID()}`;
    const accepted = await createTransferClient(transfers, TEST_CLIENTS.operator).POST('/v1/transfers', {
      // Every operation takes X-Correlation-Id (the document says so once, in its description).
      headers: { 'X-Correlation-Id': correlationId },
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { fromAccountId: treasury, toAccountId: alice, amount: '100', currency: 'EUR' },
    });
    expect(accepted.response.status).toBe(202);

    const post = await waitFor(
      () =>
        Promise.resolve(
          receiver.spans.find(
            (span) =>
              span.service === 'transfer-service' && span.attributes['http.route'] === '/v1/transfers',
          ) ??
            receiver.spans.find(
              (span) =>
                span.service === 'transfer-service' &&
                span.name.startsWith('POST') &&
                String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? '').startsWith(
                  '/v1/transfers',
                ),
            ),
        ),
      (span) => span !== undefined,
      { what: 'the POST /v1/transfers server span' },
    );
    const steps = [
      ['transfer-service', 'publish', 'transfer-requests'],
      ['ledger-service', 'process', 'transfer-requests'],
      ['ledger-service', 'publish', 'ledger-results'],
      ['transfer-service', 'process', 'ledger-results'],
      ['transfer-service', 'publish', 'transfer-outcomes'],
      ['notification-service', 'process', 'transfer-outcomes'],
    ] as const;
    const inTrace = await waitFor(
      () => Promise.resolve(receiver.spans.filter((span) => span.traceId === post!.traceId)),
      (spans) =>
        steps.every(([service, operation, topic]) =>
          spans.some(
            (span) =>
              span.service === service && span.name.startsWith(`${operation} `) && span.name.includes(topic),
          ),
        ),
      { timeoutMs: 60_000, what: `every step of the transfer in trace ${post!.traceId}` },
    );
    expect(post!.attributes['oncepay.correlation_id']).toBe(correlationId);
    expect(new Set(inTrace.map((span) => span.service))).toEqual(
      new Set(['transfer-service', 'ledger-service', 'notification-service']),
    );

    // Every line about this request or its transfer, in each service: one shape, its correlation and trace id.
    for (const service of NAMES.map((name) => stack!.service(name))) {
      const lines = await waitFor(
        () => Promise.resolve(service.logs.filter((line) => line.includes(correlationId))),
        (found) => found.length > 0,
        { what: `${service.name}-service to log ${correlationId}` },
      );
      for (const line of lines) {
        expect(JSON.parse(line)).toMatchObject({
          level: expect.any(String),
          time: expect.any(String),
          service: `${service.name}-service`,
          message: expect.any(String),
          correlationId,
          traceId: post!.traceId,
        });
      }
    }
  }, 120_000);
});
