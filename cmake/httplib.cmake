# cpp-httplib, the server backend's HTTP client (and the test suite's fake servers). Homebrew ships
# it header-only with a CMake config; Debian as a compiled library found through pkg-config, whose
# flags (OpenSSL, zlib, brotli support) must match how that library was built.
find_package(httplib CONFIG QUIET)
if(TARGET httplib::httplib)
  set(MTB_HTTPLIB httplib::httplib)
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(CPP_HTTPLIB QUIET IMPORTED_TARGET GLOBAL cpp-httplib)
  if(CPP_HTTPLIB_FOUND)
    set(MTB_HTTPLIB PkgConfig::CPP_HTTPLIB)
  else()
    # The library without the -dev packages of its optional dependencies (a GPU machine that
    # bench/gpu.sh unpacked Debian's packages onto): pkg-config refuses it, so link it directly with
    # the flags Debian built it with (its cpp-httplib.pc).
    find_path(CPP_HTTPLIB_INCLUDE httplib.h)
    find_library(CPP_HTTPLIB_LIBRARY NAMES cpp-httplib)
    if(NOT CPP_HTTPLIB_INCLUDE OR NOT CPP_HTTPLIB_LIBRARY)
      message(FATAL_ERROR "cpp-httplib not found: run scripts/setup.sh (Debian libcpp-httplib-dev, Homebrew cpp-httplib)")
    endif()
    add_library(mtb_httplib INTERFACE)
    target_include_directories(mtb_httplib INTERFACE ${CPP_HTTPLIB_INCLUDE})
    target_link_libraries(mtb_httplib INTERFACE ${CPP_HTTPLIB_LIBRARY} Threads::Threads)
    target_compile_definitions(mtb_httplib INTERFACE CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT
                                                     CPPHTTPLIB_BROTLI_SUPPORT)
    set(MTB_HTTPLIB mtb_httplib)
  endif()
endif()
