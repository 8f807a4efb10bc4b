// The lab's chart, an SVG written by hand (no charting dependency): on the left, per kind of damage,
// one bar per mode run (up to six); on the right, the balance drift per mode, on its own scale because it is money.
// Bar heights are pixels, so amounts become Numbers here and only here; every label prints the exact
// bigint.
import type { LabResult } from './lab';
import { MODE_DESIGNS, type LabMode } from './modes';
import { LAB_CURRENCY } from './plan';
import type { ModeResult } from './run-mode';

const MODE_COLORS: Record<LabMode, string> = {
  'at-most-once': '#c0392b',
  'at-least-once': '#e0a030',
  'effectively-once': '#1e8a6e',
  'dual-write': '#8e44ad',
  'non-idempotent-producer': '#2c6fbb',
  'kafka-transactions': '#7f8c8d',
};

const COUNTS = [
  { label: 'lost', value: (r: ModeResult) => r.tally.lost },
  { label: 'posted twice', value: (r: ModeResult) => r.tally.postedTwice },
  { label: 'notifications\nduplicated', value: (r: ModeResult) => r.tally.notificationsDuplicated },
  { label: 'notifications\nmissing', value: (r: ModeResult) => r.tally.notificationsMissing },
  { label: 'requests on\ntopic twice', value: (r: ModeResult) => r.tally.requestsOnTopicTwice },
  { label: 'answers on\ntopic twice', value: (r: ModeResult) => r.tally.answersOnTopicTwice },
];

const WIDTH = 1240;
const HEIGHT = 470;
const LEGEND_TOP = 400;
const LEGEND_PER_ROW = 3;
const PLOT_TOP = 100;
const PLOT_BOTTOM = 340;

interface Panel {
  left: number;
  width: number;
  title: string;
  /** Groups of bars: a label under each (`\n` breaks it), one bar per result. */
  groups: { label: string; values: { result: ModeResult; value: number; text: string }[] }[];
}

export function renderSvg(lab: LabResult): string {
  const { plan, results } = lab;
  const counts: Panel = {
    left: 70,
    width: 760,
    title: 'transfers (or messages) affected',
    groups: COUNTS.map((count) => ({
      label: count.label,
      values: results.map((result) => ({
        result,
        value: count.value(result),
        text: String(count.value(result)),
      })),
    })),
  };
  const drift: Panel = {
    left: 920,
    width: 290,
    title: `balance drift, ${LAB_CURRENCY} minor units`,
    groups: [
      {
        label: 'sum of |actual - expected|',
        values: results.map((result) => ({
          result,
          value: Number(result.tally.balanceDriftMinor),
          text: result.tally.balanceDriftMinor.toString(),
        })),
      },
    ],
  };
  const legend = results.map((result, i) => {
    const x = 70 + (i % LEGEND_PER_ROW) * 330;
    const y = LEGEND_TOP + Math.floor(i / LEGEND_PER_ROW) * 24;
    return (
      `<rect x="${x}" y="${y}" width="14" height="14" fill="${MODE_COLORS[result.mode]}"/>` +
      `<text x="${x + 20}" y="${y + 12}">${escapeXml(MODE_DESIGNS[result.mode].label)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12">
<title>OncePay delivery-semantics lab, seed ${plan.seed}</title>
<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>
<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">OncePay delivery-semantics lab</text>
<text x="${WIDTH / 2}" y="48" text-anchor="middle">seed ${plan.seed}, ${plan.transfers.length} transfers, ${plan.crashesPerPoint * 2} crashes per consumer, the same in every mode</text>
${renderPanel(counts)}
${renderPanel(drift)}
${legend.join('\n')}
</svg>
`;
}

function renderPanel(panel: Panel): string {
  const max = Math.max(0, ...panel.groups.flatMap((group) => group.values.map((v) => v.value)));
  const step = tickStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const y = (value: number): number => PLOT_BOTTOM - (value / top) * (PLOT_BOTTOM - PLOT_TOP);
  const parts: string[] = [
    `<text x="${panel.left + panel.width / 2}" y="${PLOT_TOP - 26}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`,
  ];
  for (let tick = 0; tick <= top + step / 2; tick += step) {
    parts.push(
      `<line x1="${panel.left}" x2="${panel.left + panel.width}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e2e2e2"/>`,
      `<text x="${panel.left - 6}" y="${y(tick) + 4}" text-anchor="end" fill="#555">${tick}</text>`,
    );
  }
  const groupWidth = panel.width / panel.groups.length;
  panel.groups.forEach((group, g) => {
    const barWidth = (groupWidth * 0.8) / Math.max(1, group.values.length);
    const groupLeft = panel.left + g * groupWidth + groupWidth * 0.1;
    group.values.forEach(({ result, value, text }, b) => {
      const x = groupLeft + b * barWidth;
      const barTop = y(value);
      parts.push(
        `<rect x="${round(x)}" y="${round(barTop)}" width="${round(barWidth - 2)}" height="${round(PLOT_BOTTOM - barTop)}" fill="${MODE_COLORS[result.mode]}"><title>${escapeXml(`${MODE_DESIGNS[result.mode].label}: ${text}`)}</title></rect>`,
        `<text x="${round(x + (barWidth - 2) / 2)}" y="${round(barTop - 4)}" text-anchor="middle">${escapeXml(text)}</text>`,
      );
    });
    const center = round(panel.left + g * groupWidth + groupWidth / 2);
    const lines = group.label
      .split('\n')
      .map((line, i) => `<tspan x="${center}" dy="${i === 0 ? 0 : 14}">${escapeXml(line)}</tspan>`);
    parts.push(`<text x="${center}" y="${PLOT_BOTTOM + 18}" text-anchor="middle">${lines.join('')}</text>`);
  });
  parts.push(
    `<line x1="${panel.left}" x2="${panel.left + panel.width}" y1="${PLOT_BOTTOM}" y2="${PLOT_BOTTOM}" stroke="#333"/>`,
  );
  return parts.join('\n');
}

/** A whole step of 1, 2 or 5 times a power of ten giving at most four gridlines above 0 up to `max`. */
export function tickStep(max: number): number {
  const rough = max / 4;
  if (rough <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? 10 * power;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
