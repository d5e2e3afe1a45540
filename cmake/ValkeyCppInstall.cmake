# Install rules (VALKEY_CPP_INSTALL). Components, which the .deb packages
# follow: runtime (the shared library), development (headers, the static
# library or the .so link, CMake package, pkg-config file) and tools (the
# programs). Nothing here runs Python: generated/ is committed.
include(CMakePackageConfigHelpers)
if(NOT IS_DIRECTORY "${VALKEY_CPP_GENERATED_INCLUDE_DIR}/valkey")
  message(FATAL_ERROR "VALKEY_CPP_GENERATED_INCLUDE_DIR does not name the generated headers' folder")
endif()

set(VALKEY_CPP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/valkey-cpp)

install(TARGETS valkey-cpp EXPORT valkey-cpp-targets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development)

# The hand-written and the generated headers share include/valkey/ (no name
# is in both); version.hpp and export.hpp come from the build directory.
install(DIRECTORY
    ${PROJECT_SOURCE_DIR}/runtime/include/
    ${PROJECT_SOURCE_DIR}/generated/include/
    ${VALKEY_CPP_GENERATED_INCLUDE_DIR}/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")

install(EXPORT valkey-cpp-targets
  NAMESPACE valkey-cpp::
  FILE valkey-cpp-targets.cmake
  DESTINATION ${VALKEY_CPP_CMAKE_DIR}
  COMPONENT development)

if(BUILD_SHARED_LIBS)
  set(VALKEY_CPP_LIBRARY_KIND "shared")
  set(VALKEY_CPP_NEEDS_OPENSSL 0)
else()
  set(VALKEY_CPP_LIBRARY_KIND "static")
  set(VALKEY_CPP_NEEDS_OPENSSL 1)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/valkey-cpp-config.cmake.in
  ${PROJECT_BINARY_DIR}/valkey-cpp-config.cmake
  INSTALL_DESTINATION ${VALKEY_CPP_CMAKE_DIR})
# Before 1.0 a minor release may break the API (semantic versioning's 0.y
# rule); from 1.0 on only a major release does.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(VALKEY_CPP_COMPATIBILITY SameMinorVersion)
else()
  set(VALKEY_CPP_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/valkey-cpp-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${VALKEY_CPP_COMPATIBILITY})
install(FILES
    ${PROJECT_BINARY_DIR}/valkey-cpp-config.cmake
    ${PROJECT_BINARY_DIR}/valkey-cpp-config-version.cmake
    ${PROJECT_SOURCE_DIR}/cmake/FindAsio.cmake
  DESTINATION ${VALKEY_CPP_CMAKE_DIR}
  COMPONENT development)

# pkg-config: paths relative to the .pc file's own folder (${pcfiledir}), so
# that a prefix that is moved or unpacked elsewhere still works.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(VALKEY_CPP_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(VALKEY_CPP_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(VALKEY_CPP_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _valkey_cpp_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" _valkey_cpp_up "${_valkey_cpp_up}")
  set(VALKEY_CPP_PC_PREFIX "\${pcfiledir}/${_valkey_cpp_up}")
  set(VALKEY_CPP_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(VALKEY_CPP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(VALKEY_CPP_PC_CFLAGS " -DASIO_STANDALONE")
if(NOT BUILD_SHARED_LIBS)
  string(APPEND VALKEY_CPP_PC_CFLAGS " -DVALKEY_CPP_STATIC_DEFINE")
endif()
# Asio outside the compiler's own search path (Asio_ROOT) is named in Cflags.
if(Asio_INCLUDE_DIR AND NOT Asio_INCLUDE_DIR IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
  string(APPEND VALKEY_CPP_PC_CFLAGS " -I${Asio_INCLUDE_DIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/valkey-cpp.pc.in ${PROJECT_BINARY_DIR}/valkey-cpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/valkey-cpp.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT development)

# The programs. Installed outside the system library folders they find a
# shared libvalkey-cpp through an $ORIGIN-relative run path.
if(VALKEY_CPP_BUILD_TOOLS)
  set(_valkey_cpp_tools)
  foreach(_tool valkey-cpp-cli valkey-cpp-perf)
    if(TARGET ${_tool})
      list(APPEND _valkey_cpp_tools ${_tool})
    endif()
  endforeach()
  if(_valkey_cpp_tools)
    if(BUILD_SHARED_LIBS AND NOT CMAKE_INSTALL_FULL_LIBDIR IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
      file(RELATIVE_PATH _valkey_cpp_bin_to_lib "/prefix/${CMAKE_INSTALL_BINDIR}" "/prefix/${CMAKE_INSTALL_LIBDIR}")
      set_target_properties(${_valkey_cpp_tools} PROPERTIES INSTALL_RPATH "\$ORIGIN/${_valkey_cpp_bin_to_lib}")
    endif()
    install(TARGETS ${_valkey_cpp_tools} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
  endif()
endif()

# The OpenTelemetry adapter (VALKEY_CPP_WITH_OTEL), its own component "otel":
# find_package(valkey-cpp COMPONENTS otel) loads its targets and only then
# looks for opentelemetry-cpp, so that users of the library alone never need
# it. The .deb packages leave it out (their components are runtime,
# development and tools).
if(TARGET valkey-cpp-otel)
  install(TARGETS valkey-cpp-otel EXPORT valkey-cpp-otel-targets
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT otel
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT otel NAMELINK_COMPONENT otel
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT otel)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/otel/include/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    COMPONENT otel
    FILES_MATCHING PATTERN "*.hpp")
  install(EXPORT valkey-cpp-otel-targets
    NAMESPACE valkey-cpp::
    FILE valkey-cpp-otel-targets.cmake
    DESTINATION ${VALKEY_CPP_CMAKE_DIR}
    COMPONENT otel)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/valkey-cpp-otel.pc.in ${PROJECT_BINARY_DIR}/valkey-cpp-otel.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/valkey-cpp-otel.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
    COMPONENT otel)
endif()
