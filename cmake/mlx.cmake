# The MLX backend. Built when find_package(MLX) finds an install: Homebrew's (`brew install mlx`,
# on CMake's search path already), pip's (-DMLX_ROOT=$(python3 -m mlx --cmake-dir), as MLX's docs
# say), or one built from source (-DMLX_ROOT=<its install prefix>, or CMAKE_PREFIX_PATH). MLX_ROOT
# leaves CMAKE_PREFIX_PATH to torch's. Not found: nothing of it is compiled, the registry line
# compiles out.
set(MTB_HAVE_MLX OFF)
find_package(MLX CONFIG QUIET)
if(MLX_FOUND)
  set(MTB_HAVE_MLX ON)
  message(STATUS "mtb: MLX backend ON (MLX ${MLX_VERSION} at ${MLX_DIR})")
else()
  message(STATUS "mtb: MLX not found, mlx backend OFF (install MLX and set MLX_ROOT to its prefix; README: MLX)")
endif()
