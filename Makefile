# rein: see README.md. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
GO ?= go
BIN := bin/rein
PKGS := ./...

.PHONY: all build ollama demo test test-short bench vet fmt clean fuzz

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rein

# Builds the default ollama server, the first of scripts/ollama-versions
# (cached per version; `bash scripts/build-ollama.sh v0.17.4` builds another).
ollama:
	@bash scripts/build-ollama.sh

# The main job: a streamed, budgeted reasoning run on a built-in scripted
# model. Uses a running Ollama when one answers, else builds and starts one.
demo: build
	@bash scripts/demo.sh

# Installs what is missing (scripts/setup.sh), then unit tests plus the
# integration tests against real ollama servers of every version in
# scripts/ollama-versions, each built from its module (scripts/test.sh).
test:
	@GO=$(GO) bash scripts/test.sh

# Quick loop: no server tests.
test-short:
	$(GO) test -short -count=1 $(PKGS)

# Benchmarks (figures for the issue notes; not timed tests).
bench:
	@bin=$$(bash scripts/build-ollama.sh | tail -n 1) && \
	REIN_OLLAMA_BIN=$$bin $(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 60m $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin

# Fuzzes every fuzz target (func FuzzXxx in a _test.go file) for FUZZTIME
# each; go test -fuzz takes one target at a time. Crashers land in the
# package's testdata/fuzz/FuzzXxx/, where plain go test replays them.
FUZZTIME ?= 60s
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		pkg=./$$(dirname $${f#./}); \
		for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz: $$name in $$pkg for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done
