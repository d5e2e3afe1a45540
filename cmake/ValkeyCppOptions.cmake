# Build options. Those that add more than the library default to on only when
# valkey-cpp is the top-level project: added with add_subdirectory or
# FetchContent it builds the library and needs none of the test tools.
option(VALKEY_CPP_BUILD_TESTS "Build the test suite (needs Catch2 3)" ${PROJECT_IS_TOP_LEVEL})
option(VALKEY_CPP_BUILD_BENCH "Build the benchmarks (needs Google Benchmark)" ${PROJECT_IS_TOP_LEVEL})
option(VALKEY_CPP_BUILD_SAMPLES "Build the samples (with the CLI and valkey-cpp-perf, which they use)" ${PROJECT_IS_TOP_LEVEL})
option(VALKEY_CPP_BUILD_TOOLS "Build the programs valkey-cpp-cli and valkey-cpp-perf" ${PROJECT_IS_TOP_LEVEL})
option(VALKEY_CPP_WITH_OTEL "Build valkey-cpp-otel, the OpenTelemetry adapter (needs the opentelemetry-cpp CMake package)" OFF)
option(VALKEY_CPP_BUILD_DOCS "Add the `docs` target (API reference, needs Doxygen)" OFF)
option(VALKEY_CPP_INSTALL "Generate the install rules (library, headers, CMake package, pkg-config, tools)" ${PROJECT_IS_TOP_LEVEL})
option(VALKEY_CPP_ASAN "Build with AddressSanitizer and UndefinedBehaviorSanitizer (top-level builds only)" OFF)
option(VALKEY_CPP_TSAN "Build with ThreadSanitizer (top-level builds only)" OFF)
option(VALKEY_CPP_FUZZ "Build the libFuzzer targets (needs clang and VALKEY_CPP_BUILD_TESTS)" OFF)

# The names before the VALKEY_CPP_ prefix keep working for one release. A
# value given under an old name is moved to the new name (and the old cache
# entry removed, so that a later change to the new name is not undone).
foreach(_valkey_cpp_pair
    "VALKEY_BUILD_TESTS:VALKEY_CPP_BUILD_TESTS"
    "VALKEY_BUILD_BENCH:VALKEY_CPP_BUILD_BENCH"
    "VALKEY_BUILD_SAMPLES:VALKEY_CPP_BUILD_SAMPLES"
    "VALKEY_ASAN:VALKEY_CPP_ASAN"
    "VALKEY_TSAN:VALKEY_CPP_TSAN"
    "VALKEY_FUZZ:VALKEY_CPP_FUZZ")
  string(REPLACE ":" ";" _valkey_cpp_pair "${_valkey_cpp_pair}")
  list(GET _valkey_cpp_pair 0 _valkey_cpp_old)
  list(GET _valkey_cpp_pair 1 _valkey_cpp_new)
  if(DEFINED ${_valkey_cpp_old})
    message(DEPRECATION "${_valkey_cpp_old} is deprecated and will be removed in the next release: use ${_valkey_cpp_new}")
    get_property(_valkey_cpp_doc CACHE ${_valkey_cpp_new} PROPERTY HELPSTRING)
    set(${_valkey_cpp_new} "${${_valkey_cpp_old}}" CACHE BOOL "${_valkey_cpp_doc}" FORCE)
    unset(${_valkey_cpp_old} CACHE)
  endif()
endforeach()
unset(_valkey_cpp_pair)
unset(_valkey_cpp_old)
unset(_valkey_cpp_new)
unset(_valkey_cpp_doc)
