#!/usr/bin/env bash
# The library as its users get it: installed, packaged, or built as a
# subproject, and used from projects outside this tree. Each check prints
# "[package] check <name>: passed|failed"; the script ends with
# "[package] N checks passed, N failed" and exits non-zero when any failed.
#
#   1. shared and static builds of the library alone (-O0 -g0, the objects
#      shared through ccache), installed into a prefix under the build root;
#      the installed files checked (headers, CMake package, pkg-config file,
#      no name libvalkey, the C client, installs); the shared library's
#      exports: the public API and Asio, not the internals;
#   2. tests/package/find_package and a plain pkg-config command line build
#      tests/package/consumer.cpp with g++ and clang++ and
#      -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror,
#      and run it against a real valkey-server; pkg-config builds and runs
#      tests/package/coroutine_consumer.cpp (an AsyncClient in a coroutine)
#      with both compilers as well;
#   3. the prefix moved elsewhere: both consumers again;
#   4. tests/package/subproject with add_subdirectory and with FetchContent:
#      the consumer's build compiles the library's sources and its own file
#      and nothing else, with Catch2 and Google Benchmark hidden;
#   5. the .deb packages (cpack): lintian reports no error, the dependencies
#      resolve (apt-get --simulate), and the consumer builds and runs against
#      the unpacked -dev package, as does the packaged valkey-cpp-cli; then,
#      as root, the packages installed with dpkg -i, the consumers (g++,
#      clang++, pkg-config) and the CLI run from /usr, and the packages purged;
#   6. the vcpkg port and the Conan recipe pass only options this project
#      uses (a configure with them reports no unused variable).
#   7. the OpenTelemetry adapter (VALKEY_CPP_WITH_OTEL) installed beside the
#      library: find_package(valkey-cpp COMPONENTS otel) and pkg-config
#      valkey-cpp-otel consumers see a span; the plain consumer needs no
#      opentelemetry-cpp.
#
# Environment: VALKEY_BUILD_ROOT (default <repo>/build), VALKEY_BUILD_JOBS (2),
# VALKEY_TEST_TMPDIR (where the server runs; scripts/test.sh sets it).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${VALKEY_CPP_CACHE:-$HOME/.cache/valkey-cpp}"
build_root="${VALKEY_BUILD_ROOT:-$repo/build}"
jobs="${VALKEY_BUILD_JOBS:-2}"
# A fixed folder (not a random one) so that the consumers' objects are found
# in ccache on the next run; cleaned at the start.
work="$build_root/package"

log() { printf '[package] %s\n' "$*" >&2; }

passed=0
failed=0
failed_names=()
notes=()
check() { # check <name> <command...>: one check, its output in $work/logs/<name>.log
  local name="$1"; shift
  local logf="$work/logs/${name//[^A-Za-z0-9._-]/_}.log"
  if "$@" >"$logf" 2>&1; then
    passed=$((passed + 1))
    log "check $name: passed"
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    log "check $name: failed (log: $logf)"
    tail -40 "$logf" >&2
  fi
}

[ -f "$cache/env.sh" ] || { log "ERROR: $cache/env.sh is missing: run scripts/setup.sh"; exit 1; }
# shellcheck disable=SC1091
source "$cache/env.sh"

rm -rf "$work"
mkdir -p "$work/logs"
cmake_launcher=()
cc_launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_DIR="${CCACHE_DIR:-$cache/ccache}"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$repo}"
  export CCACHE_NOHASHDIR=1
  cmake_launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cc_launcher=(ccache)
fi
strict=(-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror)
multiarch="$(gcc -print-multiarch 2>/dev/null || true)"

# --- a server for the consumers -------------------------------------------------
server_pid=""
# Set while the .deb packages are installed with dpkg -i (section 5); cleanup purges them.
debs_installed=""
deb_packages=(libvalkey-cpp0 libvalkey-cpp-dev valkey-cpp-tools)
debs_present() { dpkg-query -W -f='${Status}\n' "${deb_packages[@]}" 2>/dev/null | grep -q installed; }
purge_debs() {
  [ -n "${debs_installed:-}" ] || return 0
  dpkg --purge "${deb_packages[@]}" >/dev/null 2>&1 || return 1
  debs_installed=""
}
server_dir="$(mktemp -d "${VALKEY_TEST_TMPDIR:-${TMPDIR:-/tmp}}/valkey-cpp-package.XXXXXX")"
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$server_dir"
  purge_debs
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_server() {
  [ -x "${VALKEY_SERVER:-}" ] || { log "VALKEY_SERVER is not executable: run scripts/setup.sh"; return 1; }
  local attempt port i
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + RANDOM % 10000 ))
    port_in_use "$port" && continue
    "$VALKEY_SERVER" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
      --dir "$server_dir" --logfile "$server_dir/server.log" --daemonize no &
    server_pid=$!
    for i in $(seq 100); do
      kill -0 "$server_pid" 2>/dev/null || break  # died: port taken, try another
      if "$VALKEY_CLI" -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
        server_url="valkey://127.0.0.1:$port"
        return 0
      fi
      sleep 0.05
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  done
  return 1
}
server_url=""
check "start valkey-server" start_server
[ -n "$server_url" ] || server_url="valkey://127.0.0.1:1"  # the consumer runs then fail, as they must

# run_consumer <binary> [env...]: the program prints "consumer ok <version>".
run_consumer() {
  local bin="$1"; shift
  local out
  out="$(env "$@" "$bin" "$server_url")" || return 1
  printf '%s\n' "$out"
  grep -qx "consumer ok [0-9.]*" <<<"$out"
}

# --- 1. build and install, shared and static --------------------------------------
# Both with PIC and the same flags, so that one set of objects serves both
# through ccache. CMAKE_INSTALL_PREFIX=/usr gives the Debian layout (multiarch
# libdir) that the .deb packages use; `cmake --install --prefix` puts the
# same layout elsewhere.
build_library() { # build_library <dir> <shared ON|OFF> <tools ON|OFF> [cmake args...]
  nice cmake -S "$repo" -B "$1" -G Ninja "${cmake_launcher[@]}" \
    -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_SHARED_LIBS="$2" \
    -DVALKEY_CPP_BUILD_TESTS=OFF -DVALKEY_CPP_BUILD_BENCH=OFF -DVALKEY_CPP_BUILD_SAMPLES=OFF \
    -DVALKEY_CPP_BUILD_TOOLS="$3" -DVALKEY_CPP_INSTALL=ON "${@:4}" &&
  nice cmake --build "$1" -j"$jobs"
}

# Files that libvalkey (the C client) installs must not be among ours, so
# that both install into one prefix: its headers are include/valkey/*.h
# (and adapters/), its library libvalkey.*, its packages cmake/valkey and
# pkgconfig/valkey.pc.
check_installed() { # check_installed <build dir> <prefix> <shared|static>
  local b="$1" p="$2" kind="$3" f
  local lib="$p/lib/$multiarch"
  [ -d "$lib" ] || lib="$p/lib"
  for f in include/valkey/valkey.hpp include/valkey/commands.hpp include/valkey/cmd/all.hpp \
           include/valkey/version.hpp include/valkey/export.hpp; do
    [ -f "$p/$f" ] || { echo "missing $f"; return 1; }
  done
  for f in cmake/valkey-cpp/valkey-cpp-config.cmake cmake/valkey-cpp/valkey-cpp-config-version.cmake \
           cmake/valkey-cpp/valkey-cpp-targets.cmake cmake/valkey-cpp/FindAsio.cmake pkgconfig/valkey-cpp.pc; do
    [ -f "$lib/$f" ] || { echo "missing $lib/$f"; return 1; }
  done
  if [ "$kind" = shared ]; then
    [ -L "$lib/libvalkey-cpp.so" ] && [ -L "$lib/libvalkey-cpp.so.0" ] || { echo "missing the .so links"; return 1; }
    local dyn; dyn="$(objdump -p "$lib/libvalkey-cpp.so")"
    grep -q 'SONAME *libvalkey-cpp.so.0$' <<<"$dyn" || { echo "wrong SONAME"; return 1; }
  else
    [ -f "$lib/libvalkey-cpp.a" ] || { echo "missing libvalkey-cpp.a"; return 1; }
  fi
  local clash
  clash="$(sed "s|^/usr/||" "$b/install_manifest.txt" | grep -E '^include/valkey/(.*\.h$|adapters/)|/libvalkey\.|/cmake/valkey/|/pkgconfig/valkey\.pc$' || true)"
  [ -z "$clash" ] || { echo "files that libvalkey installs too:"; echo "$clash"; return 1; }
  # no absolute path of this machine in the package files (they must move with the prefix)
  if grep -rl -e "$p" -e "$b" "$lib/cmake/valkey-cpp" "$lib/pkgconfig"; then
    echo "absolute paths in the package files above"; return 1
  fi
  echo "installed files ok"
}

# The shared library exports what the public headers mark VALKEY_CPP_EXPORT
# and Asio's templates (shared with the program), and hides the rest: the
# classes of runtime/src, the router's internals. Every Asio header the
# library includes is declared with default visibility first
# (runtime/src/detail/asio_default_visibility.hpp), or Asio's state would be
# split between the program and the library.
check_exports() { # check_exports <prefix>
  local lib="$1/lib/$multiarch"
  [ -d "$lib" ] || lib="$1/lib"
  local dyn all
  dyn="$(nm -D -C --defined-only "$lib/libvalkey-cpp.so")" || return 1
  all="$(wc -l <<<"$dyn")"
  echo "exported symbols: $all ($(grep -c ' valkey::' <<<"$dyn") valkey::, $(grep -c ' asio::' <<<"$dyn") asio::, $(grep -c ' std::' <<<"$dyn") std::)"
  local want
  for want in 'valkey::Client::Client(' 'valkey::AsyncClient::' 'valkey::ClusterClient::' 'valkey::cmd::encode(valkey::cmd::Set const&' \
              'valkey::Reply::' 'valkey::category()' \
              'asio::detail::call_stack<asio::detail::thread_context, asio::detail::thread_info_base>::top_'; do
    grep -qF " $want" <<<"$dyn" || { echo "not exported: $want"; return 1; }
  done
  # The internals' own symbols (their members, vtables, type info); a std
  # template instantiated over one of them may still be exported.
  local hidden names
  names="$(cut -d' ' -f3- <<<"$dyn" | sed -E 's/^(vtable for |typeinfo for |typeinfo name for )//')"
  for hidden in 'valkey::detail::Transport::' 'valkey::detail::SyncLane::' 'valkey::detail::TlsContextCache::' \
                'valkey::cluster::BatchEntry' 'valkey::resp::detail::parse_int64('; do
    if awk -v p="$hidden" 'index($0, p) == 1' <<<"$names" | head -3 | grep .; then
      echo "exported, should be hidden: $hidden"; return 1
    fi
  done
  local listed used missing
  listed="$(grep -oE '#include <asio[^>]*>' "$repo/runtime/src/detail/asio_default_visibility.hpp" | sort -u)"
  used="$(grep -rhoE '#include <asio[^>]*>' "$repo/runtime" "$repo/generated" | sort -u)"
  missing="$(comm -13 <(echo "$listed") <(echo "$used"))"
  [ -z "$missing" ] || { echo "Asio headers missing from asio_default_visibility.hpp:"; echo "$missing"; return 1; }
  echo "exports ok"
}

# Building and installing run no Python (generated/ is committed): neither
# the install scripts nor the commands of `all` name it.
check_no_python() { # check_no_python <build dir>
  local hits
  hits="$(find "$1" -name cmake_install.cmake -exec grep -il python {} + || true)"
  [ -z "$hits" ] || { echo "install scripts that run Python: $hits"; return 1; }
  hits="$(cmake --build "$1" -- -t commands all | grep -i python || true)"
  [ -z "$hits" ] || { echo "build commands that run Python:"; echo "$hits"; return 1; }
  echo "no Python in the build or the install"
}

# consumer_find_package <name> <compiler> <prefix> <build dir>
consumer_find_package() {
  nice cmake -S "$repo/tests/package/find_package" -B "$4" -G Ninja "${cmake_launcher[@]}" \
    -DCMAKE_CXX_COMPILER="$2" -DCMAKE_PREFIX_PATH="$3" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0" "${@:5}" &&
  nice cmake --build "$4" -j"$jobs" &&
  run_consumer "$4/consumer"
}

# consumer_pkg_config <compiler> <prefix> <shared|static> <output> [source [flag...]]:
# the flags straight from pkg-config, as a Makefile would have them, and the
# consumer's own flags after the source. C++20 is the consumer's to choose
# (pkg-config has no field for it). The source is tests/package/consumer.cpp
# unless named.
consumer_pkg_config() {
  local cxx="$1" p="$2" kind="$3" out="$4" src="${5:-$repo/tests/package/consumer.cpp}"
  local own=("${@:6}")
  local pcdir="$p/lib/$multiarch/pkgconfig"
  [ -d "$pcdir" ] || pcdir="$p/lib/pkgconfig"
  local static=() cflags libs
  [ "$kind" = static ] && static=(--static)
  cflags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags valkey-cpp)" || return 1
  libs="$(PKG_CONFIG_PATH="$pcdir" pkg-config "${static[@]}" --libs valkey-cpp)" || return 1
  echo "cflags: $cflags"
  echo "libs:   $libs"
  mkdir -p "$(dirname "$out")"
  local cout
  # shellcheck disable=SC2086
  if ! cout="$(nice "${cc_launcher[@]}" "$cxx" -std=c++20 -O0 "${strict[@]}" "${own[@]}" $cflags \
                "$src" -o "$out" $libs 2>&1)"; then
    # Here the headers are compiled with the strict warnings (CMake consumers
    # see an installed package's headers as system headers): any warning fails.
    printf '%s\n' "$cout"
    return 1
  fi
  local libdir
  libdir="$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=libdir valkey-cpp)"
  run_consumer "$out" LD_LIBRARY_PATH="$libdir"
}

declare -A prefix
for kind in shared static; do
  b="$build_root/package-$kind"
  shared=ON; tools=ON
  [ "$kind" = static ] && { shared=OFF; tools=OFF; }
  p="$work/$kind/prefix"
  prefix[$kind]="$p"
  check "$kind: build the library" build_library "$b" "$shared" "$tools"
  check "$kind: install" cmake --install "$b" --prefix "$p"
  check "$kind: installed files" check_installed "$b" "$p" "$kind"
  [ "$kind" = shared ] && check "shared: exported symbols" check_exports "$p"
  check "$kind: building and installing need no Python" check_no_python "$b"
  for cxx in g++ clang++; do
    check "$kind: find_package consumer ($cxx)" consumer_find_package "$kind" "$cxx" "$p" "$work/$kind/find_package-$cxx"
    check "$kind: pkg-config consumer ($cxx)" consumer_pkg_config "$cxx" "$p" "$kind" "$work/$kind/pkg-config-$cxx/consumer"
    if [ "$kind" = shared ]; then
      # Asio 1.22 detects clang's coroutines only with libc++: with libstdc++
      # a coroutine program names them (docs/guides/getting-started.md).
      coroutines=()
      [[ "$cxx" == clang* ]] && coroutines=(-DASIO_HAS_CO_AWAIT=1 -DASIO_HAS_STD_COROUTINE=1)
      check "$kind: pkg-config coroutine consumer ($cxx)" consumer_pkg_config "$cxx" "$p" "$kind" \
        "$work/$kind/pkg-config-$cxx/coroutine_consumer" "$repo/tests/package/coroutine_consumer.cpp" "${coroutines[@]}"
    fi
  done
done

# --- 3. the prefix moved ------------------------------------------------------------
moved="$work/moved/somewhere/else"
mkdir -p "$(dirname "$moved")"
check "shared: move the prefix" mv "${prefix[shared]}" "$moved"
check "moved prefix: find_package consumer (g++)" consumer_find_package moved g++ "$moved" "$work/moved/find_package-g++"
check "moved prefix: pkg-config consumer (g++)" consumer_pkg_config g++ "$moved" shared "$work/moved/pkg-config-g++/consumer"
check "moved prefix: valkey-cpp-cli runs" \
  env LD_LIBRARY_PATH="$moved/lib/$multiarch" "$moved/bin/valkey-cpp-cli" -u "$server_url" PING

# --- 4. add_subdirectory and FetchContent ----------------------------------------------
# Same compiler and compile flags as the builds above (-O0 -g0, PIC, no GNU
# extensions: a subproject follows the parent's choice, and this parent makes
# the same one as the top-level build): the library's objects come from ccache. The consumer sets no build type (the library used to force
# one) and hides Catch2 and Google Benchmark.
library_sources="$(find "$repo/runtime/src" "$repo/generated/src" -name '*.cpp' | wc -l)"
consumer_subproject() { # consumer_subproject <subdirectory|fetchcontent> <build dir>
  local mode="$1" b="$2"
  nice cmake -S "$repo/tests/package/subproject" -B "$b" -G Ninja "${cmake_launcher[@]}" \
    "-DCMAKE_CXX_FLAGS=-O0 -g0" -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_CXX_EXTENSIONS=OFF \
    -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON \
    -DVALKEY_CPP_CONSUME="$mode" -DVALKEY_CPP_SOURCE_DIR="$repo" \
    -DFETCHCONTENT_SOURCE_DIR_VALKEY_CPP="$repo" -DFETCHCONTENT_FULLY_DISCONNECTED=ON || return 1
  grep -q '^CMAKE_BUILD_TYPE:STRING=$' "$b/CMakeCache.txt" || { echo "the build type was set"; return 1; }
  local units
  units="$(cmake --build "$b" -- -t commands all | grep -c -- ' -c ')"
  echo "translation units in the consumer's all: $units (library: $library_sources, consumer: 1)"
  [ "$units" -eq $((library_sources + 1)) ] || return 1
  nice cmake --build "$b" -j"$jobs" && run_consumer "$b/consumer"
}
# The build folders sit at the depth of the library builds' (ccache keys on
# paths relative to the build folder).
rm -rf "$build_root/package-subdirectory" "$build_root/package-fetchcontent"
check "add_subdirectory consumer" consumer_subproject subdirectory "$build_root/package-subdirectory"
check "FetchContent consumer" consumer_subproject fetchcontent "$build_root/package-fetchcontent"

# --- 5. the .deb packages ------------------------------------------------------------------
deb_dir="$work/deb"
make_debs() {
  mkdir -p "$deb_dir"
  (cd "$build_root/package-shared" && nice cpack -G DEB -B "$deb_dir") || return 1
  ls "$deb_dir"/*.deb
  for d in "$deb_dir"/*.deb; do dpkg-deb -f "$d" Package Version Depends; echo; done
}
deb() { ls "$deb_dir"/"$1"_*.deb 2>/dev/null | head -1; }
check_deb_fields() {
  local lib dev tools
  lib="$(deb libvalkey-cpp0)"; dev="$(deb libvalkey-cpp-dev)"; tools="$(deb valkey-cpp-tools)"
  [ -n "$lib" ] && [ -n "$dev" ] && [ -n "$tools" ] || { echo "a package is missing"; return 1; }
  local lib_depends dev_depends lib_files
  lib_depends="$(dpkg-deb -f "$lib" Depends)"; dev_depends="$(dpkg-deb -f "$dev" Depends)"
  lib_files="$(dpkg-deb -c "$lib")"
  grep -q 'libssl3' <<<"$lib_depends" || { echo "libvalkey-cpp0 does not depend on libssl3"; return 1; }
  grep -q 'libvalkey-cpp0 (= ' <<<"$dev_depends" || { echo "the -dev package does not pin the library"; return 1; }
  grep -q 'libasio-dev' <<<"$dev_depends" || { echo "the -dev package does not depend on libasio-dev"; return 1; }
  grep -q 'nlohmann-json3-dev' <<<"$dev_depends" || { echo "the -dev package does not depend on nlohmann-json3-dev"; return 1; }
  grep -q 'usr/share/doc/libvalkey-cpp0/copyright' <<<"$lib_files" || { echo "no copyright file"; return 1; }
  if grep -qE '\.so$|include/' <<<"$lib_files"; then echo "development files in the runtime package"; return 1; fi
  echo "fields ok"
}
run_lintian() {
  local out rc
  out="$(lintian --no-tag-display-limit "$deb_dir"/*.deb 2>&1)"; rc=$?
  printf '%s\n' "$out"
  local errors
  errors="$(grep -c '^E: ' <<<"$out" || true)"
  echo "lintian: $errors error(s), $(grep -c '^W: ' <<<"$out" || true) warning(s)"
  [ "$errors" -eq 0 ] && [ "$rc" -ne 2 ]
}
simulate_install() {
  local out
  out="$(apt-get install --simulate --no-install-recommends "$(deb libvalkey-cpp0)" "$(deb libvalkey-cpp-dev)" "$(deb valkey-cpp-tools)" 2>&1)"
  printf '%s\n' "$out"
  grep -q '^Inst libvalkey-cpp-dev' <<<"$out"
}
unpack_debs() {
  rm -rf "$work/deb-root" && mkdir -p "$work/deb-root"
  for d in "$deb_dir"/*.deb; do dpkg-deb -x "$d" "$work/deb-root" || return 1; done
}
check "deb: cpack" make_debs
check "deb: package fields" check_deb_fields
if command -v lintian >/dev/null 2>&1; then
  check "deb: lintian reports no error" run_lintian
else
  check "deb: lintian is installed (scripts/setup.sh)" false
fi
check "deb: dependencies resolve (apt-get --simulate)" simulate_install
check "deb: unpack" unpack_debs
check "deb: find_package consumer (g++)" consumer_find_package deb g++ "$work/deb-root/usr" "$work/deb/find_package-g++"
check "deb: valkey-cpp-cli runs" \
  env LD_LIBRARY_PATH="$work/deb-root/usr/lib/$multiarch" "$work/deb-root/usr/bin/valkey-cpp-cli" -u "$server_url" PING

# Installed for real: dpkg -i of the three packages (their maintainer scripts
# and the library in the system's search path, no LD_LIBRARY_PATH), the
# consumers built against /usr with both compilers and with plain
# pkg-config, the CLI from /usr/bin; then the packages are purged, also when
# a check fails or the script is stopped (cleanup). Only as root, and only
# when no valkey-cpp package is installed already: an installation this
# script did not make is left alone (named on the stage line instead).
install_debs() {
  dpkg -i "$(deb libvalkey-cpp0)" "$(deb libvalkey-cpp-dev)" "$(deb valkey-cpp-tools)" || return 1
  debs_installed=1
  dpkg-query -W "${deb_packages[@]}"
}
purged() { # nothing of the packages is left behind
  purge_debs || return 1
  if debs_present; then echo "still installed"; return 1; fi
  [ ! -e /usr/include/valkey/client.hpp ] || { echo "/usr/include/valkey/client.hpp is left"; return 1; }
  echo "purged"
}
if [ "$(id -u)" -ne 0 ]; then
  notes+=("the .deb packages were not installed with dpkg -i: not root")
elif debs_present; then
  notes+=("the .deb packages were not installed with dpkg -i: a valkey-cpp package is installed already")
else
  check "deb: dpkg -i" install_debs
  if [ -n "$debs_installed" ]; then
    check "deb: installed, find_package consumer (g++)" consumer_find_package deb-installed g++ /usr "$work/deb/installed-g++"
    check "deb: installed, find_package consumer (clang++)" consumer_find_package deb-installed clang++ /usr "$work/deb/installed-clang++"
    check "deb: installed, pkg-config consumer (g++)" consumer_pkg_config g++ /usr shared "$work/deb/installed-pkg-config/consumer"
    check "deb: installed valkey-cpp-cli runs" /usr/bin/valkey-cpp-cli -u "$server_url" PING
    check "deb: dpkg --purge" purged
  fi
fi

# --- 6. vcpkg port and Conan recipe ---------------------------------------------------------
# Every CMake variable they pass is one this project reads: a configure with
# all of them names none as unused (CMake lists unused -D variables).
recipe_options() {
  {
    grep -ohE -- '-D[A-Za-z_][A-Za-z0-9_]*=[^ "]*' "$repo/packaging/vcpkg/valkey-cpp/portfile.cmake" | sed 's/^-D//'
    grep -ohE 'tc\.(cache_)?variables\["[A-Za-z_][A-Za-z0-9_]*"\] *= *[A-Za-z0-9_."]+' "$repo/packaging/conan/conanfile.py" \
      | sed -E 's/tc\.(cache_)?variables\["([^"]+)"\] *= *(.*)/\2=\3/; s/"//g; s/=True$/=ON/; s/=False$/=OFF/; s/=self\..*$/=ON/'
  } | sort -u
}
check_recipes() {
  local opts=() o
  while IFS= read -r o; do [ -n "$o" ] && opts+=("-D$o"); done < <(recipe_options)
  printf 'options the recipes pass: %s\n' "${opts[*]}"
  [ ${#opts[@]} -gt 0 ] || { echo "found no option in the recipes"; return 1; }
  local out
  out="$(cmake -S "$repo" -B "$work/recipes" -G Ninja "${opts[@]}" 2>&1)" || { printf '%s\n' "$out"; return 1; }
  if grep -A20 'Manually-specified variables were not used' <<<"$out"; then return 1; fi
  # and each is a documented option
  for o in "${opts[@]}"; do
    o="${o#-D}"; o="${o%%=*}"
    case "$o" in CMAKE_*|BUILD_SHARED_LIBS) continue ;; esac
    grep -q "\`$o\`" "$repo/docs/packaging.md" || { echo "$o is not in docs/packaging.md"; return 1; }
  done
  echo "recipes ok"
}
check "vcpkg port and Conan recipe options" check_recipes

# --- 7. the OpenTelemetry adapter -------------------------------------------------------------
# A shared build with VALKEY_CPP_WITH_OTEL (the library's objects from ccache),
# installed: find_package(valkey-cpp COMPONENTS otel) and pkg-config
# valkey-cpp-otel each build tests/package/otel_consumer.cpp, which must see
# one GET span. A plain find_package(valkey-cpp) of that prefix (the consumer
# of section 2) must not need opentelemetry-cpp: the component is loaded
# only when asked for.
otel_prefix="$work/otel/prefix"
check_otel_installed() {
  local lib="$otel_prefix/lib/$multiarch" f
  [ -d "$lib" ] || lib="$otel_prefix/lib"
  for f in "$otel_prefix/include/valkey/otel/observer.hpp" "$lib/libvalkey-cpp-otel.so" \
           "$lib/cmake/valkey-cpp/valkey-cpp-otel-targets.cmake" "$lib/pkgconfig/valkey-cpp-otel.pc"; do
    [ -e "$f" ] || { echo "missing $f"; return 1; }
  done
  if grep -rl -e "$otel_prefix" "$lib/cmake/valkey-cpp" "$lib/pkgconfig"; then
    echo "absolute paths in the package files above"; return 1
  fi
  echo "otel files ok"
}
run_otel_consumer() { # run_otel_consumer <binary> [env...]
  local bin="$1"; shift
  local out
  out="$(env "$@" "$bin" "$server_url")" || return 1
  printf '%s\n' "$out"
  grep -qx "otel consumer ok" <<<"$out"
}
consumer_otel_find_package() { # consumer_otel_find_package <build dir>
  nice cmake -S "$repo/tests/package/otel_find_package" -B "$1" -G Ninja "${cmake_launcher[@]}" \
    -DCMAKE_PREFIX_PATH="$otel_prefix" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0" &&
  nice cmake --build "$1" -j"$jobs" && run_otel_consumer "$1/otel_consumer"
}
consumer_otel_pkg_config() { # consumer_otel_pkg_config <output>
  local pcdir="$otel_prefix/lib/$multiarch/pkgconfig"
  [ -d "$pcdir" ] || pcdir="$otel_prefix/lib/pkgconfig"
  local cflags libs libdir
  cflags="$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags valkey-cpp-otel opentelemetry_trace)" || return 1
  libs="$(PKG_CONFIG_PATH="$pcdir" pkg-config --libs valkey-cpp-otel opentelemetry_trace)" || return 1
  libdir="$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=libdir valkey-cpp-otel)"
  echo "cflags: $cflags"
  echo "libs:   $libs"
  mkdir -p "$(dirname "$1")"
  # shellcheck disable=SC2086
  nice "${cc_launcher[@]}" g++ -std=c++20 -O0 -Wall -Wextra -Werror $cflags \
    "$repo/tests/package/otel_consumer.cpp" -o "$1" $libs -lopentelemetry_exporter_in_memory || return 1
  run_otel_consumer "$1" LD_LIBRARY_PATH="$libdir"
}
# (scripts/setup.sh installs opentelemetry-cpp; scripts/test.sh builds the adapter too)
check "otel: build the library and the adapter" build_library "$build_root/package-otel" ON OFF -DVALKEY_CPP_WITH_OTEL=ON
check "otel: install" cmake --install "$build_root/package-otel" --prefix "$otel_prefix"
check "otel: installed files" check_otel_installed
check "otel: find_package consumer, COMPONENTS otel (g++)" consumer_otel_find_package "$work/otel/find_package"
check "otel: pkg-config consumer (g++)" consumer_otel_pkg_config "$work/otel/pkg-config/otel_consumer"
check "otel: plain find_package consumer, opentelemetry-cpp hidden" consumer_find_package otel-plain g++ "$otel_prefix" \
  "$work/otel/plain-find_package" -DCMAKE_DISABLE_FIND_PACKAGE_opentelemetry-cpp=ON

# --- summary ------------------------------------------------------------------------------------
# Notes (a waived finding) go to notes.txt too, for scripts/test.sh's stage line.
printf '%s\n' "${notes[@]}" | sort -u | sed '/^$/d' >"$work/notes.txt"
while IFS= read -r n; do log "note: $n"; done <"$work/notes.txt"
if [ "$failed" -gt 0 ]; then
  log "failed: ${failed_names[*]}"
fi
log "$passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
