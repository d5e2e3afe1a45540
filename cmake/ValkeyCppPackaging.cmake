# CPack: Debian packages from a shared build configured with
# -DCMAKE_INSTALL_PREFIX=/usr (so that the library goes to the multiarch
# folder): `cpack -G DEB` in the build directory writes
#   libvalkey-cpp<SOVERSION>  the shared library          (component runtime)
#   libvalkey-cpp-dev         headers, .so link, CMake and pkg-config files
#   valkey-cpp-tools          valkey-cpp-cli and valkey-cpp-perf
# Run-time dependencies come from dpkg-shlibdeps; the -dev package depends on
# the Debian packages of the headers its headers include.
if(NOT BUILD_SHARED_LIBS)
  return()  # a static library is packaged by source package managers (vcpkg, Conan), not as a .deb
endif()

set(VALKEY_CPP_PACKAGE_CONTACT "valkey-cpp maintainers <maintainers@valkey-cpp.invalid>"
  CACHE STRING "Maintainer field of the .deb packages (a release build sets a real address)")
set(VALKEY_CPP_DEB_RELEASE 1 CACHE STRING "Debian revision of the .deb packages")

set(_deb_version "${PROJECT_VERSION}-${VALKEY_CPP_DEB_RELEASE}")
set(_deb_lib libvalkey-cpp${VALKEY_CPP_SOVERSION})
set(_deb_dev libvalkey-cpp-dev)
set(_deb_tools valkey-cpp-tools)

# Every package carries its copyright file and a Debian changelog; they are
# installed only by component installs (CPack), not by a plain install.
set(_deb_doc_dir ${PROJECT_BINARY_DIR}/deb-doc)
string(TIMESTAMP _deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)  # honours SOURCE_DATE_EPOCH
file(WRITE ${_deb_doc_dir}/changelog.Debian
"valkey-cpp (${_deb_version}) unstable; urgency=medium

  * Packages built by CPack from valkey-cpp ${PROJECT_VERSION}.

 -- ${VALKEY_CPP_PACKAGE_CONTACT}  ${_deb_date}
")
find_program(VALKEY_CPP_GZIP gzip)
if(VALKEY_CPP_GZIP)
  execute_process(COMMAND ${VALKEY_CPP_GZIP} -9nf ${_deb_doc_dir}/changelog.Debian)
  foreach(_pair "runtime:${_deb_lib}" "development:${_deb_dev}" "tools:${_deb_tools}")
    string(REPLACE ":" ";" _pair "${_pair}")
    list(GET _pair 0 _component)
    list(GET _pair 1 _package)
    install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/copyright ${_deb_doc_dir}/changelog.Debian.gz
      DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${_package}
      COMPONENT ${_component} EXCLUDE_FROM_ALL)
  endforeach()
endif()

set(CPACK_PACKAGE_NAME valkey-cpp)
set(CPACK_PACKAGE_VENDOR "valkey-cpp")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${VALKEY_CPP_PACKAGE_CONTACT}")
# Left at CPack's default, which CPackDeb does not prepend to a component's
# description: the first line of each description below is its synopsis.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL runtime development)
if(VALKEY_CPP_BUILD_TOOLS AND TARGET valkey-cpp-cli)
  list(APPEND CPACK_COMPONENTS_ALL tools)
endif()

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${VALKEY_CPP_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The tools link the library of this same build: dpkg-shlibdeps finds it here
# and the dependency on its package is written out below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/runtime)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${_deb_lib})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
# The shlibs file, and the ldconfig trigger that Debian policy asks of a
# shared library package (CPack's own postinst/postrm call ldconfig too).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/debian/triggers)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "${PROJECT_DESCRIPTION}
The shared library libvalkey-cpp: typed commands for every Valkey command,
synchronous and asynchronous (Asio) clients, cluster, pub/sub, pipelines
and transactions.")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME ${_deb_dev})
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
  "${_deb_lib} (= ${_deb_version}), libasio-dev, nlohmann-json3-dev")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION "${PROJECT_DESCRIPTION} (development files)
Headers, the CMake package valkey-cpp (target valkey-cpp::valkey-cpp) and
the pkg-config file valkey-cpp.pc for libvalkey-cpp.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ${_deb_tools})
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${_deb_lib} (= ${_deb_version})")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "command-line programs built on valkey-cpp
valkey-cpp-cli runs one Valkey command and prints the reply as text or
JSON; valkey-cpp-perf is a load generator for Valkey servers.")

include(CPack)
