#!/usr/bin/env bash
# Lists, describes and resets consumer groups, as in Kafka 3.9 (the class is in kafka-tools).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@"
