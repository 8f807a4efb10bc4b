// The metric names the provisioned Grafana dashboard (docker/grafana/dashboards/oncepay.json) queries.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/infra/paths';

/** Each query's identifiers that name OncePay metrics (label matchers left out). */
export function dashboardMetricNames(): string[] {
  const file = path.join(REPO_ROOT, 'docker', 'grafana', 'dashboards', 'oncepay.json');
  const dashboard = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  const names = new Set<string>();
  for (const { expr } of dashboard.panels.flatMap((panel) => panel.targets))
    for (const [name] of expr.replace(/\{[^}]*\}/g, '').matchAll(/\boncepay_[a-z0-9_]+\b/g)) names.add(name);
  return [...names].sort();
}
