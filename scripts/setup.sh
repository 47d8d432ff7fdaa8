#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh machine, or says in
# one line what to run: a C and C++ compiler (the ollama server is built
# with cgo), make, git, the headers that ollama's module zip leaves out of
# llama.cpp's vendor folder, Debian's docker-registry (a real registry for
# the pull tests) and Go. Both .ci/run and `make test` run it; on a machine
# that has everything it does nothing.
set -euo pipefail

log() { echo "setup: $*" >&2; }

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v git >/dev/null || need+=(git)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
[ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
[ -f /usr/include/stb/stb_image.h ] || need+=(libstb-dev)
if ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then need+=(golang-go); fi

if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		if ! command -v sudo >/dev/null || ! sudo -n true 2>/dev/null; then
			echo "setup: missing ${need[*]}: run  sudo apt-get install -y ${need[*]}" >&2
			exit 1
		fi
		sudo=sudo
	fi
	if ! command -v apt-get >/dev/null; then
		echo "setup: missing ${need[*]}: install them with your package manager" >&2
		exit 1
	fi
	log "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
	$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >&2
fi
