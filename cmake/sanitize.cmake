# MTB_SANITIZE (e.g. address,undefined; CMakePresets.json's asan-ubsan sets it): instruments mtb's own
# code, src/ and tests/, and links the sanitizer runtimes into their executables. Included after
# llama.cpp is added, so ggml and llama stay uninstrumented and compile with build/'s flags (ccache
# hits); ASan still checks every heap block they hand mtb, as its allocator is process-wide.
# -O1 -g after the build type's -O3: readable stack traces at a bearable speed. No recovery: the
# first UBSan report ends the process, so a test cannot pass over one.
set(MTB_SANITIZE "" CACHE STRING "sanitizers for mtb's own code, e.g. address,undefined (empty: none)")
if(MTB_SANITIZE)
  add_compile_options(-fsanitize=${MTB_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1 -g)
  add_link_options(-fsanitize=${MTB_SANITIZE})
endif()
