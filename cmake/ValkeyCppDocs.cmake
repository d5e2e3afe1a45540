# VALKEY_CPP_BUILD_DOCS: the `docs` target runs Doxygen on docs/Doxyfile.in,
# configured into the build directory (@PROJECT_SOURCE_DIR@ and
# @DOXYGEN_OUTPUT_DIR@ are replaced). The HTML lands in <build>/docs/api.
find_package(Doxygen REQUIRED)
# The Markdown guides go through scripts/doxygen_markdown_filter.py.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(DOXYGEN_OUTPUT_DIR ${PROJECT_BINARY_DIR}/docs/api)
set(_valkey_cpp_doxyfile_in ${PROJECT_SOURCE_DIR}/docs/Doxyfile.in)
if(EXISTS ${_valkey_cpp_doxyfile_in})
  set(_valkey_cpp_doxyfile ${PROJECT_BINARY_DIR}/docs/Doxyfile)
  configure_file(${_valkey_cpp_doxyfile_in} ${_valkey_cpp_doxyfile} @ONLY)
  file(MAKE_DIRECTORY ${DOXYGEN_OUTPUT_DIR})
  add_custom_target(docs
    COMMAND Doxygen::doxygen ${_valkey_cpp_doxyfile}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Doxygen: API reference into ${DOXYGEN_OUTPUT_DIR}"
    VERBATIM)
else()
  message(WARNING "VALKEY_CPP_BUILD_DOCS: ${_valkey_cpp_doxyfile_in} does not exist, no `docs` target")
endif()
