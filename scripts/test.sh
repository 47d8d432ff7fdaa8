#!/usr/bin/env bash
# `make test`: vet, then every test against a real ollama server of each
# version in scripts/ollama-versions, built from its Go module (cached per
# version). The first version runs all packages; the others run the
# packages whose tests start a server. REIN_OLLAMA_BIN picks one server
# instead of the matrix.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
[ -x /usr/local/go/bin/go ] && export PATH=/usr/local/go/bin:$PATH
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
GO=${GO:-go}

$GO vet ./...

# Packages with tests against the real server (they call ollamatest.RunMain).
server_pkgs=$(grep -rl --include='*_test.go' 'ollamatest.RunMain' . | xargs -n1 dirname | sort -u)

run() { # label, binary, packages...
	local label=$1 bin=$2
	shift 2
	local start=$(date +%s)
	echo "test: $label: $bin" >&2
	REIN_OLLAMA_BIN=$bin REIN_REQUIRE_OLLAMA=1 $GO test -count=1 -timeout 40m "$@"
	echo "test: $label: passed in $(( $(date +%s) - start ))s" >&2
}

if [ -n "${REIN_OLLAMA_BIN:-}" ]; then
	run "server $REIN_OLLAMA_BIN" "$REIN_OLLAMA_BIN" ./...
	exit 0
fi

first=1
for v in $(sed -n '/^v/p' scripts/ollama-versions); do
	bin=$(bash scripts/build-ollama.sh "$v" | tail -n 1)
	if [ $first = 1 ]; then
		run "ollama $v (all packages)" "$bin" ./...
		first=0
	else
		# shellcheck disable=SC2086
		run "ollama $v (server packages)" "$bin" $server_pkgs
	fi
done
