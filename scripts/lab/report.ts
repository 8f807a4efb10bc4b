// The lab's report as Markdown: what was run (seed, the command that repeats it, the fault schedule),
// the table of what went wrong per mode, and what each mode does. Pure: a function of the result, so
// the same seed gives the same report.
import { LAB_MODES, MODE_DESCRIPTIONS, MODE_LABELS } from './modes';
import { LAB_CURRENCY, type PlanOptions } from './plan';
import type { LabResult } from './lab';
import type { ModeResult } from './run-mode';

/** The command that runs the same plan again. */
export function repeatCommand(options: PlanOptions): string {
  return `npm run lab -- --seed ${options.seed} --transfers ${options.transfers} --crashes ${options.crashesPerPoint}`;
}

const HEADERS = [
  'mode',
  'transfers requested',
  'lost',
  'posted twice',
  'notifications duplicated',
  'notifications missing',
  `balance drift (${LAB_CURRENCY} minor units)`,
  'crashes',
];

function rowOf(result: ModeResult): string[] {
  const t = result.tally;
  return [
    MODE_LABELS[result.mode],
    String(t.requested),
    String(t.lost),
    String(t.postedTwice),
    String(t.notificationsDuplicated),
    String(t.notificationsMissing),
    t.balanceDriftMinor.toString(),
    String(result.crashes.length),
  ];
}

/** The results table alone, columns padded so it reads in a terminal as well as rendered. */
export function resultsTable(results: ModeResult[]): string {
  return markdownTable(HEADERS, results.map(rowOf), [
    'left',
    ...HEADERS.slice(1).map(() => 'right' as const),
  ]);
}

export function renderMarkdown(lab: LabResult, chartFile: string): string {
  const { plan } = lab;
  const perConsumer = plan.crashesPerPoint * 2;
  const schedule = markdownTable(
    ['consumer', 'transfer', 'crash point'],
    plan.faults.map((fault) => [fault.role, `#${fault.transferIndex}`, fault.point]),
    ['left', 'right', 'left'],
  );
  return `# OncePay delivery-semantics lab

Seed **${plan.seed}**: ${plan.transfers.length} transfers between ${plan.accounts.length} accounts, on topics of ${lab.partitions} partitions.
The ledger and the notifier are each killed with SIGKILL ${perConsumer} times (${plan.crashesPerPoint} before and ${plan.crashesPerPoint} after their effect),
at the same messages in every mode, and restarted.

Repeat this run with \`${repeatCommand({ ...plan, transfers: plan.transfers.length })}\`.

${resultsTable(lab.results)}

![lost, duplicated and drifted per mode](${chartFile})

- **lost**: requested, never posted. **posted twice**: posted more than once.
- **notifications duplicated**: notified more than once. **notifications missing**: posted, never notified.
- **balance drift**: the sum over the accounts of |actual balance - expected balance|, where expected is
  every transfer posted exactly once.
- **crashes**: scheduled crashes that happened; one scheduled at a message that never arrived (its
  transfer was lost) does not.

## The modes

${LAB_MODES.map((mode) => `- **${MODE_LABELS[mode]}** ${MODE_DESCRIPTIONS[mode]}.`).join('\n')}

## The fault schedule

\`before-effect\` kills the consumer when it has the message and has not applied it yet;
\`after-effect\` when its effect committed (for the ledger: and its answer was published).

${schedule}
`;
}

type Align = 'left' | 'right';

export function markdownTable(headers: string[], rows: string[][], align: Align[]): string {
  const widths = headers.map((header, i) =>
    Math.max(3, header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const pad = (cell: string, i: number): string =>
    align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0);
  const line = (cells: string[]): string => `| ${cells.map(pad).join(' | ')} |`;
  const rule = widths.map((width, i) =>
    align[i] === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width),
  );
  return [line(headers), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n');
}
