#!/usr/bin/env bash
# Wharf's whole-server benchmark (see docs/benchmarks.md): `bash bench/run.sh [flags]`; flags go to bench/cmd/wharf-bench (-h).
set -euo pipefail; cd "$(dirname "$0")"; ulimit -n "$(ulimit -Hn)"; exec go run ./cmd/wharf-bench "$@"
