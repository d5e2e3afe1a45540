# Generator checks (owned by the generator; included by tests/CMakeLists.txt).
include(${PROJECT_SOURCE_DIR}/generator/regenerate.cmake)  # the `regenerate` target

set(_valkeygen_env "PYTHONPATH=${PROJECT_SOURCE_DIR}/generator:${CMAKE_CURRENT_SOURCE_DIR}/generator"
                   "VALKEY_CPP_ROOT=${PROJECT_SOURCE_DIR}")

# generated/ is exactly what the generator writes from the pinned specs.
# The specs dir is read from the environment when the test runs; skipped without it.
add_test(NAME "generator: generated is up to date"
  COMMAND ${VALKEY_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/generator/check_generated.py
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/generator)
set_tests_properties("generator: generated is up to date" PROPERTIES
  ENVIRONMENT "${_valkeygen_env}" SKIP_RETURN_CODE 77 TIMEOUT 120)

# Regenerating from other Valkey versions gives code that compiles
# (-fsyntax-only -Werror over every generated source + a surface TU, 2 jobs).
foreach(_v 8_1 8_0)
  add_test(NAME "generator: regenerate and compile Valkey ${_v} specs"
    COMMAND ${VALKEY_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/generator/regen_compile.py
            VALKEY_SPECS_${_v}_DIR ${CMAKE_CXX_COMPILER} ${PROJECT_SOURCE_DIR}/runtime/include
            ${VALKEY_CPP_GENERATED_INCLUDE_DIR}
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/generator)
  set_tests_properties("generator: regenerate and compile Valkey ${_v} specs" PROPERTIES
    ENVIRONMENT "${_valkeygen_env}" SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
