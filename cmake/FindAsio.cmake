# FindAsio: standalone Asio (header-only, asio.hpp), which ships no CMake
# package on Debian (libasio-dev) and several other systems.
#
# Result: the imported target Asio::Asio (include directory, ASIO_STANDALONE,
# Threads::Threads) and the variables Asio_FOUND, Asio_INCLUDE_DIR,
# Asio_VERSION. Asio_ROOT or CMAKE_PREFIX_PATH point at a non-system copy.
# Installed with valkey-cpp's CMake package, which uses it to find the Asio
# the library's headers include.
find_path(Asio_INCLUDE_DIR NAMES asio.hpp DOC "Standalone Asio include directory")
mark_as_advanced(Asio_INCLUDE_DIR)

if(Asio_INCLUDE_DIR AND EXISTS "${Asio_INCLUDE_DIR}/asio/version.hpp")
  file(STRINGS "${Asio_INCLUDE_DIR}/asio/version.hpp" _asio_version_line
       REGEX "^#define ASIO_VERSION [0-9]+")
  string(REGEX REPLACE "^#define ASIO_VERSION ([0-9]+).*" "\\1" _asio_version "${_asio_version_line}")
  # ASIO_VERSION is XXYYZZ: major * 100000 + minor * 100 + patch.
  math(EXPR _asio_major "${_asio_version} / 100000")
  math(EXPR _asio_minor "${_asio_version} / 100 % 1000")
  math(EXPR _asio_patch "${_asio_version} % 100")
  set(Asio_VERSION "${_asio_major}.${_asio_minor}.${_asio_patch}")
  unset(_asio_version_line)
  unset(_asio_version)
  unset(_asio_major)
  unset(_asio_minor)
  unset(_asio_patch)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Asio REQUIRED_VARS Asio_INCLUDE_DIR VERSION_VAR Asio_VERSION
  NAME_MISMATCHED)  # also included by valkey-cpp-config.cmake

if(Asio_FOUND AND NOT TARGET Asio::Asio)
  if(NOT TARGET Threads::Threads)
    find_package(Threads REQUIRED)
  endif()
  add_library(Asio::Asio INTERFACE IMPORTED)
  set_target_properties(Asio::Asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${Asio_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS ASIO_STANDALONE
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
