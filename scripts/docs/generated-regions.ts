// The fragments of the documentation that are written by the code, not by hand. A doc holds each one
// between `<!-- generated:<id> -->` and `<!-- /generated -->`; `npm run docs:generate` rewrites what
// lies between from the code, and test/doc-drift.spec.ts fails while the committed text differs from
// what it would write. Each fragment is a Markdown list, which Prettier leaves as it is written.
import { deadLetterTopicOf, EVENT_TYPES, TOPIC_OF, TOPICS } from '@oncepay/contracts';

export interface GeneratedRegion {
  /** The `<id>` of its markers. */
  id: string;
  /** The markdown file holding it, relative to the repository root. */
  file: string;
  /** What lies between the markers, from the code. */
  render: () => string;
}

/** Each topic, its dead-letter topic and the event types published on it ([TOPICS], [TOPIC_OF]). */
function renderKafkaTopics(): string {
  return Object.values(TOPICS)
    .map((topic) => {
      const events = EVENT_TYPES.filter((type) => TOPIC_OF[type] === topic);
      return `- \`${topic}\` (dead letters: \`${deadLetterTopicOf(topic)}\`): ${events.map((type) => `\`${type}\``).join(', ')}`;
    })
    .join('\n');
}

export const GENERATED_REGIONS: readonly GeneratedRegion[] = [
  { id: 'kafka-topics', file: 'docs/architecture.md', render: renderKafkaTopics },
];

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function regionPattern(id: string): RegExp {
  return new RegExp(`(<!-- generated:${escapeRegExp(id)} -->)([\\s\\S]*?)(<!-- /generated -->)`, 'g');
}

/** What lies between a region's markers: its content set off by blank lines, as Prettier keeps it. */
export function regionText(content: string): string {
  return `\n\n${content}\n\n`;
}

/** The text between `id`'s markers, or null when the markdown has them not exactly once. */
export function regionContent(markdown: string, id: string): string | null {
  const matches = [...markdown.matchAll(regionPattern(id))];
  return matches.length === 1 ? (matches[0]?.[2] ?? null) : null;
}

/** `markdown` with `id`'s region holding `content`; throws when the markers are missing or repeated. */
export function withRegion(markdown: string, id: string, content: string): string {
  if (regionContent(markdown, id) === null)
    throw new Error(`expected exactly one <!-- generated:${id} --> ... <!-- /generated --> region`);
  return markdown.replace(regionPattern(id), (_all, open: string, _old: string, close: string) =>
    [open, regionText(content), close].join(''),
  );
}
