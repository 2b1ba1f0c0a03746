# Imports the pinned llama.cpp tree (fetched by scripts/setup.sh) as a subproject.
# EXCLUDE_FROM_ALL: only the targets mtb links (llama, ggml) are built unless a tool is asked for by
# name (llama-bench for bench/parity.sh, llama-server for the server backend's tests).
if(NOT EXISTS "${MTB_LLAMACPP_DIR}/CMakeLists.txt")
  message(FATAL_ERROR "llama.cpp not found at ${MTB_LLAMACPP_DIR}: run scripts/setup.sh first")
endif()

set(BUILD_SHARED_LIBS OFF CACHE BOOL "" FORCE)
set(LLAMA_BUILD_COMMON ON CACHE BOOL "" FORCE)     # llama-bench and llama-server need common
set(LLAMA_BUILD_TOOLS ON CACHE BOOL "" FORCE)
set(LLAMA_BUILD_SERVER ON CACHE BOOL "" FORCE)
set(LLAMA_BUILD_TESTS OFF CACHE BOOL "" FORCE)
set(LLAMA_BUILD_EXAMPLES OFF CACHE BOOL "" FORCE)
set(LLAMA_BUILD_APP OFF CACHE BOOL "" FORCE)
set(LLAMA_BUILD_UI OFF CACHE BOOL "" FORCE)
set(LLAMA_USE_PREBUILT_UI OFF CACHE BOOL "" FORCE) # nothing is downloaded at build time
set(LLAMA_OPENSSL OFF CACHE BOOL "" FORCE)
set(LLAMA_ALL_WARNINGS OFF CACHE BOOL "" FORCE)
set(GGML_CUDA ${MTB_CUDA} CACHE BOOL "" FORCE)
if(APPLE)
  set(GGML_METAL ON CACHE BOOL "" FORCE)
endif()

add_subdirectory(${MTB_LLAMACPP_DIR} ${CMAKE_BINARY_DIR}/llama.cpp EXCLUDE_FROM_ALL)

# ggml's AMX matmul crashes on quantized weights on the AMX-capable Xeon VMs this project's machines
# can be (SIGSEGV in ggml_backend_amx_mul_mat for q8_0, q4_0 and q4_k_m, seen 2026-12-02; llama.cpp
# issue 20824, open). -march=native turns AMX on there, so it is turned off again after it; ggml then
# runs its AVX-512 kernels with repacked weights, as on any other x86 CPU. MTB_GGML_AMX=ON keeps it.
option(MTB_GGML_AMX "let ggml use Intel AMX on CPUs that have it (crashes on quantized weights at the pinned commit)" OFF)
if(NOT MTB_GGML_AMX AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND NOT MSVC AND TARGET ggml-cpu)
  target_compile_options(ggml-cpu PRIVATE -mno-amx-tile -mno-amx-int8 -mno-amx-bf16)
endif()
