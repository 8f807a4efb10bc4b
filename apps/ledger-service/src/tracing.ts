// Loaded first by main.ts: tracing (when the OTEL_* variables ask for it) must be registered before
// the HTTP server's modules load. See @oncepay/service-runtime/tracing.
import { startTracing } from '@oncepay/service-runtime/tracing';

startTracing('ledger-service', process.env);
