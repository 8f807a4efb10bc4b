// `npm run docs:generate`: rewrites every generated region of the documentation from the code
// (scripts/docs/generated-regions.ts) and names the files it changed. test/doc-drift.spec.ts fails
// until the regions it finds stale have been rewritten and committed.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../infra/paths';
import { GENERATED_REGIONS, withRegion } from './generated-regions';

const changed = new Set<string>();
for (const region of GENERATED_REGIONS) {
  const file = path.join(REPO_ROOT, region.file);
  const before = fs.readFileSync(file, 'utf8');
  const after = withRegion(before, region.id, region.render());
  if (after !== before) {
    fs.writeFileSync(file, after);
    changed.add(region.file);
  }
}
console.log(
  changed.size === 0
    ? 'docs: every generated region is up to date'
    : `docs: rewrote ${[...changed].join(', ')}`,
);
