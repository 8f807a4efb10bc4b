#!/usr/bin/env bash
# Creates, lists, describes, alters and deletes topics, as in Kafka 3.9 (the class is in kafka-tools).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.TopicCommand "$@"
