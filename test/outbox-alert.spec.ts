// Proves the Prometheus alert on parked outbox rows is wired: prometheus.yml loads the rules file the
// compose stack mounts, and the rule queries the gauge the services export (packages/service-runtime).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.join(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

describe('the parked outbox row alert', () => {
  it('is loaded from the mounted rules file and queries an exported gauge', () => {
    const prometheus = parse(read('docker/prometheus/prometheus.yml')) as { rule_files: string[] };
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { volumes?: string[] }>;
    };
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(compose.services.prometheus?.volumes).toContain(
      './docker/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
    );
    const rules = parse(read('docker/prometheus/alerts.yml')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const parked = rules.groups
      .flatMap((group) => group.rules)
      .find((r) => r.alert === 'OncePayOutboxRowParked');
    expect(parked?.expr).toBe('max by (service) (oncepay_outbox_parked_rows) > 0');
    expect(read('packages/service-runtime/src/metrics.ts')).toContain("name: 'oncepay_outbox_parked_rows',");
  });
});
