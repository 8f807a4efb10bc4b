#!/usr/bin/env bash
# Sends the lines of stdin to a topic, as in Kafka 3.9.
# Kafka 3.9 gives the console tools 512 MiB instead of kafka-run-class.sh's 256 MiB default.
if [ -z "$KAFKA_HEAP_OPTS" ]; then
  export KAFKA_HEAP_OPTS="-Xmx512M"
fi
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.ConsoleProducer "$@"
