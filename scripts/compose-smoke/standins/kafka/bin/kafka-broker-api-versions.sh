#!/usr/bin/env bash
# Lists the API versions each broker supports; the compose health check runs it against localhost:9092.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.admin.BrokerApiVersionsCommand "$@"
