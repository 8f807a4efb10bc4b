#!/usr/bin/env bash
# Formats and inspects KRaft log dirs (kafka-storage.sh format|info|random-uuid), as in Kafka 3.9.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
