#!/usr/bin/env bash
# The distribution's kafka-topics.sh: TopicCommand through kafka-run-class.sh (the connect text's
# try line runs it).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.TopicCommand "$@"
