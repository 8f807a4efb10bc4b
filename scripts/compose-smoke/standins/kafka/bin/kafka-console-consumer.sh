#!/usr/bin/env bash
# Prints a topic's messages to stdout, as in Kafka 3.9 (the class is in kafka-tools).
# Kafka 3.9 gives the console tools 512 MiB instead of kafka-run-class.sh's 256 MiB default.
if [ -z "$KAFKA_HEAP_OPTS" ]; then
  export KAFKA_HEAP_OPTS="-Xmx512M"
fi
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
