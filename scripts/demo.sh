#!/usr/bin/env bash
# make demo: a budgeted run on a built-in runaway-thinking model. Uses the
# Ollama at OLLAMA_HOST when one answers; otherwise builds (once, cached) and
# starts a private server on loopback for the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bin/rein version >/dev/null 2>&1; then
	echo "demo: no Ollama server answers at ${OLLAMA_HOST:-127.0.0.1:11434}; using a private one built from the pinned module" >&2
	REIN_OLLAMA_BIN=$(bash scripts/build-ollama.sh | tail -n 1)
	export REIN_OLLAMA_BIN
fi
exec bin/rein dev demo "$@"
