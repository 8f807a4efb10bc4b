// OpenTelemetry tracing, configured by the standard OTEL_* variables and started first (each app's
// src/tracing.ts, imported first by its main.ts), before any span could be asked for. Off unless an
// OTLP endpoint (or OTEL_TRACES_EXPORTER=otlp) is set: then no SDK module is loaded, and the
// OpenTelemetry API calls in the code do nothing.
//   OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  where spans go (the exporter reads them)
//   OTEL_EXPORTER_OTLP_PROTOCOL / ..._TRACES_PROTOCOL                 http/protobuf (default) or http/json
//   OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG                       e.g. parentbased_traceidratio and 0.1
//   OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_SDK_DISABLED, OTEL_BSP_*  as the specification says
// Spans: the server span of each request (configureServiceHttp), the relay's `publish <topic>` and the
// consumers' `process <topic>` (@oncepay/messaging), all in one trace per transfer. They are handed on
// explicitly, never through a context manager: on Node 20 an AsyncLocalStorage makes every promise of
// the process slower (measured: a quarter of the throughput). docs/performance.md has the cost of tracing.

type Env = Record<string, string | undefined>;

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** True when the environment asks for traces to be exported. */
export function tracingConfigured(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter !== undefined) return exporter.split(',').includes('otlp');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Registers the tracer provider (the W3C trace-context propagator, a batching OTLP exporter, no context
 * manager) when the environment asks for it. A protocol it does not support stops the boot, naming it.
 */
export function startTracing(serviceName: string, env: Env): void {
  if (!tracingConfigured(env)) return;
  const protocol =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (!(PROTOCOLS as readonly string[]).includes(protocol))
    throw new Error(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use ${PROTOCOLS.join(' or ')} (grpc is not bundled)`,
    );
  // Loaded only now: a service with tracing off never loads the SDK.
  /* eslint-disable @typescript-eslint/no-require-imports -- conditional loading is the point: off costs nothing */
  const { NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes, detectResources, envDetector } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const exporter =
    protocol === 'http/json'
      ? new (
          require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')
        ).OTLPTraceExporter()
      : new (
          require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')
        ).OTLPTraceExporter();
  /* eslint-enable @typescript-eslint/no-require-imports */
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over the service's own name.
    resource: resourceFromAttributes({ 'service.name': serviceName }).merge(
      detectResources({ detectors: [envDetector] }),
    ),
    // No sampler given: the provider takes OTEL_TRACES_SAMPLER and its argument (parent-based by default).
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // No context manager: spans are handed on explicitly (see the top of this file).
  provider.register({ contextManager: null });
}

/** Exports the spans still buffered: on shutdown, so a stopping service's last spans are not lost. */
export async function flushTracing(): Promise<void> {
  const { trace } = await import('@opentelemetry/api');
  const provider = trace.getTracerProvider() as { getDelegate?: () => { shutdown?: () => Promise<void> } };
  await provider.getDelegate?.().shutdown?.();
}
