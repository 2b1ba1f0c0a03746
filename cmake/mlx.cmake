# The MLX backend. Built when find_package(MLX) finds an install: Homebrew's (`brew install mlx`),
# pip's (CMAKE_PREFIX_PATH=$(python3 -c 'import mlx,os;print(os.path.dirname(mlx.__file__))')), or
# one built from source (CMAKE_PREFIX_PATH=<its install prefix>). Not found: nothing of it is
# compiled and the registry line compiles out with MTB_HAVE_MLX unset.
set(MTB_HAVE_MLX OFF)
find_package(MLX CONFIG QUIET)
if(MLX_FOUND)
  set(MTB_HAVE_MLX ON)
  message(STATUS "mtb: MLX backend ON (MLX ${MLX_VERSION} at ${MLX_DIR})")
else()
  message(STATUS "mtb: MLX not found, mlx backend OFF (install MLX and point CMAKE_PREFIX_PATH at it; README: The MLX backend)")
endif()
