#!/usr/bin/env bash
# The project's test command (see README): every package under the race
# detector; the allocation, flood and worker-stack tests again without it
# (it makes sync.Pool drop items at random, slows floods to minutes and
# widens stack frames, so they skip themselves or check less under it);
# then each fuzz target for 100,000 inputs on top of
# its seed corpus (the table tests and testdata/fuzz). A count, not a time:
# a time limit can end a run in the middle of an input, which Go's fuzzer
# then reports as a failure ("context deadline exceeded"). Minimizing a
# new interesting input is bounded to 10 s (Go's default is a minute, and
# a loaded machine spent most of one on it with no input run meanwhile).
set -euo pipefail
cd "$(dirname "$0")"
go test -race -count=1 ./...
go test -count=1 -run 'Allocs|Flood|WorkerStack' ./...
fuzz() { go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME:-100000x}" -fuzzminimizetime 10s "$1"; }
fuzz ./internal/h1 FuzzParseRequestHead
fuzz ./internal/h1 FuzzParseRequestHeadNetHTTP
fuzz ./internal/h1 FuzzChunkedDecoder
fuzz ./internal/h1 FuzzChunkedNetHTTP
fuzz ./internal/h1 FuzzValidIPv6
fuzz ./internal/h1 FuzzCanonicalKey
fuzz ./internal/h1 FuzzAppendField
fuzz ./internal/h1 FuzzCutQuoted
fuzz ./internal/h1 FuzzExpectMembers
fuzz ./internal/pathmap FuzzMatch
fuzz ./internal/httppath FuzzClean
fuzz ./internal/httppath FuzzEscapedControl
fuzz ./api FuzzQueryValue
fuzz ./api FuzzForm
fuzz ./api FuzzHeaderFields
fuzz ./api FuzzCookies
fuzz ./internal/wsframe FuzzParse
fuzz ./internal/wsext FuzzAcceptDeflate
fuzz ./websocket FuzzTextUTF8
fuzz ./internal/byterange FuzzParse
fuzz ./internal/mimepart FuzzParse
fuzz ./internal/mimepart FuzzQPDecode
fuzz ./connector/http2 FuzzH2Frames
fuzz ./internal/ssewire FuzzRoundTrip
fuzz ./internal/ssewire FuzzDecodeSplit
fuzz ./internal/ssewire FuzzText
fuzz ./internal/timerwheel FuzzWheel
fuzz ./internal/forwarded FuzzFields
fuzz ./filters/forwarded FuzzForwarded
fuzz ./internal/jsonstrings FuzzDecode
fuzz ./auth FuzzAcceptsHTML
