# `cmake --build <dir> --target regenerate` rewrites generated/ from the
# pinned specs ($VALKEY_SPECS_DIR, or ~/.cache/valkey-cpp/env.sh from
# scripts/setup.sh); `regenerate-check` only reports drift. Included by
# generator/CMakeLists.txt and, when that is not added, by tests/extra.cmake.
if(NOT TARGET regenerate)
  if(NOT DEFINED VALKEY_PYTHON)
    set(VALKEY_PYTHON /usr/bin/python3)
  endif()
  set(VALKEY_SPECS_DIR "$ENV{VALKEY_SPECS_DIR}" CACHE PATH "Valkey src/commands directory (generator input)")
  set(_valkeygen_specs)
  if(VALKEY_SPECS_DIR)
    set(_valkeygen_specs --specs ${VALKEY_SPECS_DIR})
  endif()
  add_custom_target(regenerate
    COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${PROJECT_SOURCE_DIR}/generator VALKEY_CPP_ROOT=${PROJECT_SOURCE_DIR}
            ${VALKEY_PYTHON} -m valkeygen generate ${_valkeygen_specs}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "valkeygen: regenerating generated/ from the command specs"
    VERBATIM USES_TERMINAL)
  add_custom_target(regenerate-check
    COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${PROJECT_SOURCE_DIR}/generator VALKEY_CPP_ROOT=${PROJECT_SOURCE_DIR}
            ${VALKEY_PYTHON} -m valkeygen generate ${_valkeygen_specs} --check
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "valkeygen: checking generated/ against the command specs"
    VERBATIM USES_TERMINAL)
endif()
