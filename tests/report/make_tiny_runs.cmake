# CTest fixture: two real runs of one plan with the built mtb, under one measurement root, shared by
# the report tests that need real run folders (the report CLI, the browser check). Their timings are
# not compared: compare's tests use synthetic records.
#   cmake -DMTB=<mtb> -DOUT=<folder> -P make_tiny_runs.cmake
file(REMOVE_RECURSE "${OUT}")
foreach(i 1 2)
  execute_process(COMMAND "${MTB}" llm -b llamacpp -m tiny -t f32,q4_0 -p 64,256 -n 64 -r 3 --warmup 1 --cooldown 0 --no-report --measurements "${OUT}"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mtb llm (run ${i}) failed with ${rc}:\n${err}")
  endif()
endforeach()
