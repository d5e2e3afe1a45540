# Flags for this project's own targets. Directory-scoped options reach only
# the targets defined in this source tree (the library, and the tests,
# samples and benchmarks when they are built), never a parent project's. The
# sanitizers apply only when valkey-cpp is the top-level project: a sanitizer
# has to be on for the whole program, which a subproject does not own.
add_compile_options(-Wall -Wextra)
# The runtime is written against Asio without its deprecated interfaces; a
# consumer may still use them in its own code.
add_compile_definitions(ASIO_NO_DEPRECATED)

if(VALKEY_CPP_ASAN AND VALKEY_CPP_TSAN)
  message(FATAL_ERROR "VALKEY_CPP_ASAN and VALKEY_CPP_TSAN cannot be combined")
endif()
if(NOT PROJECT_IS_TOP_LEVEL AND (VALKEY_CPP_ASAN OR VALKEY_CPP_TSAN))
  message(WARNING "VALKEY_CPP_ASAN/VALKEY_CPP_TSAN apply only when valkey-cpp is the top-level project: "
                  "set the sanitizer flags in the project that builds the program")
elseif(VALKEY_CPP_ASAN)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(VALKEY_CPP_TSAN)
  # -Wno-tsan: g++ warns at every Asio handler invocation that TSan does not
  # model atomic_thread_fence (Asio's fenced blocks); the hand-offs the
  # runtime relies on use mutexes and acquire/release atomics, which it does.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
endif()
