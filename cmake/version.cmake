# Commits recorded in every run's settings.json, mtb's own and the pinned llama.cpp's: stamped into
# generated/build_info.h at every build by cmake/build_info.cmake (not at configure time, which would
# go stale with each new commit).
set(MTB_BUILD_INFO_H ${CMAKE_BINARY_DIR}/generated/build_info.h)
set(_build_info_args -DSRC=${CMAKE_SOURCE_DIR} -DLLAMA=${MTB_LLAMACPP_DIR} -DOUT=${MTB_BUILD_INFO_H}
    -DVERSION=${PROJECT_VERSION} "-DCOMPILER=${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}"
    -DBUILD_TYPE=${CMAKE_BUILD_TYPE})
execute_process(COMMAND ${CMAKE_COMMAND} ${_build_info_args} -P ${CMAKE_SOURCE_DIR}/cmake/build_info.cmake)
add_custom_target(mtb_build_info
  COMMAND ${CMAKE_COMMAND} ${_build_info_args} -P ${CMAKE_SOURCE_DIR}/cmake/build_info.cmake
  BYPRODUCTS ${MTB_BUILD_INFO_H}
  COMMENT "Stamping the mtb and llama.cpp commits")
