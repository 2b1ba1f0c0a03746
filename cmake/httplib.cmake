# cpp-httplib, the server backend's HTTP client (and the test suite's fake servers). Homebrew ships
# it header-only with a CMake config; Debian as a compiled library found through pkg-config, whose
# flags (OpenSSL, zlib, brotli support) must match how that library was built.
find_package(httplib CONFIG QUIET)
if(TARGET httplib::httplib)
  set(MTB_HTTPLIB httplib::httplib)
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(CPP_HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
  set(MTB_HTTPLIB PkgConfig::CPP_HTTPLIB)
endif()
