"""Conan 2 recipe for valkey-cpp, built from the checkout it lives in.

    conan create packaging/conan --build=missing
    conan create packaging/conan -o "valkey-cpp/*:shared=True"

Consumers: find_package(valkey-cpp) and valkey-cpp::valkey-cpp (CMakeDeps),
or pkg-config valkey-cpp (PkgConfigDeps).
"""
import os

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy


class ValkeyCppConan(ConanFile):
    name = "valkey-cpp"
    version = "0.1.0"
    description = "C++20 client library for Valkey"
    topics = ("valkey", "redis", "database", "client", "asio")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}

    def export_sources(self):
        root = os.path.join(self.recipe_folder, "..", "..")
        for folder in ("cmake", "runtime", "generated", "packaging"):
            copy(self, "*", os.path.join(root, folder), os.path.join(self.export_sources_folder, folder))
        copy(self, "CMakeLists.txt", root, self.export_sources_folder)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Asio and nlohmann_json appear in the public headers.
        self.requires("asio/1.28.0", transitive_headers=True)
        self.requires("nlohmann_json/3.11.2", transitive_headers=True)
        self.requires("openssl/[>=3 <4]")

    def validate(self):
        check_min_cppstd(self, 20)

    def generate(self):
        tc = CMakeToolchain(self)
        tc.cache_variables["VALKEY_CPP_BUILD_TESTS"] = False
        tc.cache_variables["VALKEY_CPP_BUILD_BENCH"] = False
        tc.cache_variables["VALKEY_CPP_BUILD_SAMPLES"] = False
        tc.cache_variables["VALKEY_CPP_BUILD_TOOLS"] = False
        tc.cache_variables["VALKEY_CPP_BUILD_DOCS"] = False
        tc.cache_variables["VALKEY_CPP_INSTALL"] = True
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "copyright", os.path.join(self.source_folder, "packaging", "debian"),
             os.path.join(self.package_folder, "licenses"))
        CMake(self).install()

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "valkey-cpp")
        self.cpp_info.set_property("cmake_target_name", "valkey-cpp::valkey-cpp")
        self.cpp_info.set_property("pkg_config_name", "valkey-cpp")
        self.cpp_info.libs = ["valkey-cpp"]
        self.cpp_info.defines = ["ASIO_STANDALONE"]
        if not self.options.shared:
            self.cpp_info.defines.append("VALKEY_CPP_STATIC_DEFINE")
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
