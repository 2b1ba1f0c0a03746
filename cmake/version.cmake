# Commits recorded in every run's settings.json: mtb's own and the pinned llama.cpp's.
find_package(Git QUIET)
set(MTB_GIT_COMMIT "unknown")
set(MTB_LLAMACPP_COMMIT "unknown")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE MTB_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE _dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_dirty)
    string(APPEND MTB_GIT_COMMIT "-dirty")
  endif()
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse HEAD WORKING_DIRECTORY ${MTB_LLAMACPP_DIR}
                  OUTPUT_VARIABLE MTB_LLAMACPP_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
# A tree copied without its history (bench/pack-device.sh) names its commit in a file.
if(EXISTS "${MTB_LLAMACPP_DIR}/.mtb-commit")
  file(STRINGS "${MTB_LLAMACPP_DIR}/.mtb-commit" MTB_LLAMACPP_COMMIT LIMIT_COUNT 1)
endif()
if(NOT MTB_GIT_COMMIT)
  set(MTB_GIT_COMMIT "unknown")
endif()
configure_file(${CMAKE_SOURCE_DIR}/src/core/build_info.h.in ${CMAKE_BINARY_DIR}/generated/build_info.h @ONLY)
