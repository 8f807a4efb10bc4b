// The dead-letter naming is one rule with three readers (the consumers, the topology, `npm run dlq`):
// a topic and its dead-letter topic map onto each other, with or without a namespace.
import { deadLetterTopicOf, isDeadLetterTopic, sourceTopicOf, TOPICS } from './topics';

describe('dead-letter topic names', () => {
  it.each(Object.values(TOPICS).flatMap((topic) => [topic, `ns-${topic}`]))(
    '%s and its dead-letter topic map onto each other',
    (topic) => {
      const deadLetters = deadLetterTopicOf(topic);
      expect(isDeadLetterTopic(deadLetters)).toBe(true);
      expect(isDeadLetterTopic(topic)).toBe(false);
      expect(sourceTopicOf(deadLetters)).toBe(topic);
      expect(sourceTopicOf(topic)).toBe(topic);
    },
  );
});
