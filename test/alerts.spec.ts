// Proves the Prometheus alerts are wired: prometheus.yml loads the rules file the compose stack mounts,
// and each rule queries a gauge the services export (packages/service-runtime's ServiceMetrics).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.join(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

function rule(name: string): { expr: string; for?: string; labels?: Record<string, string> } | undefined {
  const rules = parse(read('docker/prometheus/alerts.yml')) as {
    groups: Array<{
      rules: Array<{ alert: string; expr: string; for?: string; labels?: Record<string, string> }>;
    }>;
  };
  return rules.groups.flatMap((group) => group.rules).find((r) => r.alert === name);
}

const exportsGauge = (name: string) =>
  expect(read('packages/service-runtime/src/metrics.ts')).toContain(`name: '${name}',`);

describe('the alerts', () => {
  it('are loaded from the mounted rules file', () => {
    const prometheus = parse(read('docker/prometheus/prometheus.yml')) as { rule_files: string[] };
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { volumes?: string[] }>;
    };
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(compose.services.prometheus?.volumes).toContain(
      './docker/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
    );
    // The `service` label is the whole name (`transfer-service`, metrics.ts): never suffixed again.
    expect(read('docker/prometheus/alerts.yml')).not.toContain('}}-service');
    expect(read('packages/service-runtime/src/metrics.ts')).toContain(
      'setDefaultLabels({ service: serviceName })',
    );
  });

  it('page on a parked outbox row at once', () => {
    expect(rule('OncePayOutboxRowParked')).toMatchObject({
      expr: 'max by (service) (oncepay_outbox_parked_rows) > 0',
      labels: { severity: 'page' },
    });
    exportsGauge('oncepay_outbox_parked_rows');
  });

  it('page on a consumer not running for three minutes (stalled, or rejoining while the broker is away)', () => {
    expect(rule('OncePayConsumerNotRunning')).toMatchObject({
      expr: 'max by (service, group) (oncepay_consumer_state{state!="running"}) > 0',
      for: '3m',
      labels: { severity: 'page' },
    });
    exportsGauge('oncepay_consumer_state');
    expect(read('packages/messaging/src/consumer-runner.ts')).toMatch(/CONSUMER_STATES = \[[^\]]*'running'/);
  });
});
