export { createKafkaClient, parseBrokerList, type KafkaClientOptions } from './kafka-client';
export { KafkaHealthProbe, withTimeout, type KafkaHealth } from './kafka-health';
