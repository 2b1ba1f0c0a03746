# The libtorch backend. MTB_TORCH=AUTO builds it when find_package(Torch) succeeds (Debian's
# libtorch-dev, or pip torch through CMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)'));
# ON requires it; OFF leaves it out (the registry line compiles out with MTB_HAVE_TORCH unset).
set(MTB_HAVE_TORCH OFF)
set(MTB_TORCH_CUDA OFF)
if(NOT MTB_TORCH STREQUAL "OFF")
  if(MTB_TORCH STREQUAL "ON")
    find_package(Torch REQUIRED)
  else()
    find_package(Torch QUIET)
  endif()
  if(Torch_FOUND)
    set(MTB_HAVE_TORCH ON)
    # A CUDA libtorch brings torch_cuda (or names it in TORCH_LIBRARIES): the CUDA-graph path builds.
    if(TARGET torch_cuda OR "${TORCH_LIBRARIES}" MATCHES "torch_cuda")
      set(MTB_TORCH_CUDA ON)
    endif()
    message(STATUS "mtb: libtorch backend ON (torch ${Torch_VERSION}, CUDA ${MTB_TORCH_CUDA})")
  else()
    message(STATUS "mtb: libtorch not found, torch backend OFF (scripts/setup.sh --torch installs it)")
  endif()
endif()
