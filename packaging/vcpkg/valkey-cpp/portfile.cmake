# An overlay port that builds the checkout it lives in:
#   vcpkg install valkey-cpp --overlay-ports=<checkout>/packaging/vcpkg
# Shared or static follows the triplet (vcpkg passes BUILD_SHARED_LIBS).
# A registry port would take the sources from a release archive instead
# (vcpkg_from_github); the options and the steps below stay the same.
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../..")

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DVALKEY_CPP_BUILD_TESTS=OFF
    -DVALKEY_CPP_BUILD_BENCH=OFF
    -DVALKEY_CPP_BUILD_SAMPLES=OFF
    -DVALKEY_CPP_BUILD_TOOLS=OFF
    -DVALKEY_CPP_BUILD_DOCS=OFF
    -DVALKEY_CPP_INSTALL=ON
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME valkey-cpp CONFIG_PATH lib/cmake/valkey-cpp)
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/packaging/debian/copyright")
