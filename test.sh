#!/usr/bin/env bash
# The project's test command (see README): every package under the race
# detector, then each fuzz target for a few seconds.
set -euo pipefail
cd "$(dirname "$0")"
go test -race -count=1 ./...
for target in \
	"./internal/h1 FuzzParseRequestHead" \
	"./internal/h1 FuzzChunkedDecoder" \
	"./internal/pathmap FuzzMatch"; do
	set -- $target
	go test -run '^$' -fuzz "^$2\$" -fuzztime 10s "$1"
done
