// The dedup domain: pure decisions with no I/O, shared by every consumer.
export { classifySequence, NO_SEQUENCE_APPLIED, type SequenceVerdict } from './sequence-guard';
