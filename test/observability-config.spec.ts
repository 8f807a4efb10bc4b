// Proves the compose observability profile points at what the services really serve: Prometheus scrapes
// each service by its compose name, on the port it listens on, at GET /metrics; Grafana's dashboard is
// provisioned from the file this repository holds. (That every metric the dashboard queries is exported
// is checked against running services in test/observability.int.spec.ts.)
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { dashboardMetricNames } from '@oncepay/test-support';
import { SERVICES } from '../scripts/infra/services';

const root = path.join(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; volumes?: string[]; profiles?: string[] }>;
};

describe('the observability profile', () => {
  it('scrapes each service at its compose name and port, at /metrics', () => {
    const prometheus = parse(read('docker/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const [job] = prometheus.scrape_configs;
    expect(job?.metrics_path).toBe('/metrics');
    const expected = SERVICES.map((spec) => {
      const name = `${spec.name}-service`;
      return `${name}:${compose.services[name]?.environment?.PORT}`;
    });
    expect(job?.static_configs.flatMap((config) => config.targets).sort()).toEqual(expected.sort());
  });

  it('mounts the Prometheus configuration and the Grafana provisioning and dashboard this repository holds', () => {
    for (const name of ['prometheus', 'grafana', 'jaeger'])
      expect(compose.services[name]?.profiles).toEqual(['observability']);
    expect(compose.services.prometheus?.volumes).toContain(
      './docker/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    expect(compose.services.grafana?.volumes).toEqual([
      './docker/grafana/provisioning:/etc/grafana/provisioning:ro',
      './docker/grafana/dashboards:/var/lib/grafana/dashboards:ro',
    ]);
    expect(read('docker/grafana/provisioning/dashboards/dashboards.yml')).toContain(
      '/var/lib/grafana/dashboards',
    );
  });

  it('has a dashboard that queries OncePay metrics: throughput, latency, lag, outbox age, duplicates, stale events, dead letters (new and waiting), consumers not running', () => {
    expect(dashboardMetricNames()).toEqual(
      expect.arrayContaining([
        'oncepay_transfers_settled_total',
        'oncepay_http_request_duration_seconds_bucket',
        'oncepay_consumer_lag_messages',
        'oncepay_outbox_oldest_pending_age_seconds',
        'oncepay_consumer_events_total',
        'oncepay_transfer_ledger_answers_ignored_total',
        'oncepay_consumer_dead_letters_total',
        'oncepay_dead_letters_waiting',
        'oncepay_consumer_state',
      ]),
    );
  });
});
