// The lab's report as Markdown: what was run (seed, the command that repeats it, the fault schedule),
// the table of what went wrong per mode, and what each mode does. Pure: a function of the result, so
// the same seed gives the same report.
import { LAB_MODES, MODE_DESIGNS, type LabMode } from './modes';
import { LAB_CURRENCY, REQUEST_BATCH_SIZE, type LabPlan, type PlanOptions } from './plan';
import type { LabResult } from './lab';
import type { ModeResult } from './run-mode';

/** The command that runs the same plan again (in the same modes, when they were not all of them). */
export function repeatCommand(options: PlanOptions & { modes?: readonly LabMode[] }): string {
  const modes =
    options.modes && options.modes.length < LAB_MODES.length ? ` --modes ${options.modes.join(',')}` : '';
  return `npm run lab -- --seed ${options.seed} --transfers ${options.transfers} --crashes ${options.crashesPerPoint}${modes}`;
}

export const HEADERS = [
  'mode',
  'transfers requested',
  'lost',
  'posted twice',
  'notifications duplicated',
  'notifications missing',
  `balance drift (${LAB_CURRENCY} minor units)`,
  'requests on topic twice',
  'answers on topic twice',
  'faults',
];

function rowOf(result: ModeResult): string[] {
  const t = result.tally;
  return [
    MODE_DESIGNS[result.mode].label,
    String(t.requested),
    String(t.lost),
    String(t.postedTwice),
    String(t.notificationsDuplicated),
    String(t.notificationsMissing),
    t.balanceDriftMinor.toString(),
    String(t.requestsOnTopicTwice),
    String(t.answersOnTopicTwice),
    String(result.crashes.length + result.otherFaults.length),
  ];
}

/** lab-report.json: the table as printed, for a reader that does not import scripts/lab (the console). */
export interface LabReportJson {
  seed: number;
  runId: string;
  command: string;
  columns: string[];
  rows: { mode: LabMode; label: string; cells: string[] }[];
}

export function reportJson(lab: LabResult): LabReportJson {
  return {
    seed: lab.plan.seed,
    runId: lab.runId,
    command: repeatCommandOf(lab),
    columns: [...HEADERS],
    rows: lab.results.map((result) => ({
      mode: result.mode,
      label: MODE_DESIGNS[result.mode].label,
      cells: rowOf(result),
    })),
  };
}

function repeatCommandOf(lab: LabResult): string {
  const { plan } = lab;
  return repeatCommand({ ...plan, transfers: plan.transfers.length, modes: lab.results.map((r) => r.mode) });
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
  return `# OncePay delivery-semantics lab

Seed **${plan.seed}**: ${plan.transfers.length} transfers between ${plan.accounts.length} accounts, on topics of ${lab.partitions} partitions.
The ledger and the notifier are each killed with SIGKILL ${perConsumer} times (${plan.crashesPerPoint} before and ${plan.crashesPerPoint} after their effect),
at the same messages in every mode, and restarted. The request producer loses ${plan.ackLosses.length} acknowledgement(s)${plan.rebalance ? ', and a second ledger joins and leaves the group once (a rebalance)' : ''}.

Repeat this run with \`${repeatCommandOf(lab)}\`.

${resultsTable(lab.results)}

![lost, duplicated and drifted per mode](${chartFile})

- **lost**: requested, never posted. **posted twice**: posted more than once.
- **notifications duplicated**: notified more than once. **notifications missing**: posted, never notified.
- **balance drift**: the sum over the accounts of |actual balance - expected balance|, where expected is
  every transfer posted exactly once.
- **requests on topic twice**: requests read back from the requests topic (read_committed) whose id
  was already read there: what the request producer alone caused, whatever the consumers then did.
- **answers on topic twice**: the same on the answers topic: answers the ledger published again.
- **faults**: scheduled faults that happened; a crash scheduled at a message that never arrived (its
  transfer was lost) does not.

## The modes

${lab.results.map(({ mode }) => `- **${MODE_DESIGNS[mode].label}** ${MODE_DESIGNS[mode].description}.`).join('\n')}

## The fault schedule

\`before-effect\` kills the consumer when it has the message and has not applied it yet;
\`after-effect\` when its effect committed and the offset did not (for the ledger, where its answer is
then depends on the mode: published, in the outbox, not yet sent, or in an open Kafka transaction).
A lost acknowledgement cuts the request producer's connection after the broker appended a batch and
before the producer read the answer. The rebalance holds the ledger at a message, effect applied and
offset not committed, while a second ledger joins its group; it leaves after one message.

${scheduleTable(plan)}
`;
}

function scheduleTable(plan: LabPlan): string {
  const rows = [
    ...plan.faults.map((fault) => [fault.role, `#${fault.transferIndex}`, fault.point]),
    ...plan.ackLosses.map((loss) => [
      'request producer',
      `#${loss.batch * REQUEST_BATCH_SIZE} to #${Math.min(plan.transfers.length, (loss.batch + 1) * REQUEST_BATCH_SIZE) - 1}`,
      'acknowledgement lost',
    ]),
    ...(plan.rebalance ? [['ledger', `#${plan.rebalance.transferIndex}`, 'rebalance']] : []),
  ];
  return markdownTable(['process', 'transfer', 'fault'], rows, ['left', 'right', 'left']);
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
