#!/usr/bin/env bash
# Builds the ollama server from an ollama Go module version, into a per-version
# cache outside the repository. A second run finds the cache.
# Usage: build-ollama.sh [VERSION]   (default: the first of scripts/ollama-versions)
# The last line on stdout is the path of the binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

log() { echo "build-ollama: $*" >&2; }
die() { echo "build-ollama: $*" >&2; exit 1; }

command -v go >/dev/null || die "no Go toolchain on PATH: install Go 1.24 or newer"
version=${1:-$(sed -n '/^v/{p;q;}' "$root/scripts/ollama-versions")}
[ -n "$version" ] || die "no server version given and scripts/ollama-versions is empty"
cache=${REIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rein}
dest="$cache/ollama/$version"
bin="$dest/ollama"

if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
	log "cached $bin"
	echo "$bin"
	exit 0
fi

# The cgo build of llama.cpp needs a C and a C++ compiler.
for cc in gcc g++; do
	command -v "$cc" >/dev/null || die "no $cc found: the ollama server is built with cgo; install a C++ compiler (Debian: apt-get install build-essential)"
done

# Module zips leave out llama.cpp's vendor/ folder: nlohmann json and stb_image come
# from Debian, miniaudio.h from the gen2brain/malgo Go module.
need=()
[ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
[ -f /usr/include/stb/stb_image.h ] || need+=(libstb-dev)
if [ ${#need[@]} -gt 0 ]; then
	command -v apt-get >/dev/null || die "missing headers (${need[*]}): install them with your package manager"
	log "installing ${need[*]}"
	sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq >&2 || true
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2 || die "apt-get install ${need[*]} failed"
fi

malgo_version=v0.11.24
src=$(GOFLAGS=-mod=mod go mod download -json "github.com/ollama/ollama@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
malgo=$(GOFLAGS=-mod=mod go mod download -json "github.com/gen2brain/malgo@$malgo_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || die "could not download github.com/ollama/ollama@$version from the Go module proxy"
[ -f "$malgo/miniaudio.h" ] || die "could not download github.com/gen2brain/malgo@$malgo_version"

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$src" "$work/ollama"
chmod -R u+w "$work/ollama"
mkdir -p "$work/include/miniaudio"
cp "$malgo/miniaudio.h" "$work/include/miniaudio/miniaudio.h"

log "building ollama $version (about 9 minutes on 2 cores; cached afterwards in $dest)"
start=$(date +%s)
mkdir -p "$dest"
(
	cd "$work/ollama"
	CGO_ENABLED=1 CGO_CPPFLAGS="-I$work/include ${CGO_CPPFLAGS:-}" \
		go build -trimpath -o "$work/ollama.bin" \
		-ldflags "-s -w -X github.com/ollama/ollama/version.Version=${version#v}" . >&2
) || die "go build of ollama $version failed (see the compiler output above)"
mv "$work/ollama.bin" "$bin"
log "built $bin in $(( $(date +%s) - start ))s"
echo "$bin"
