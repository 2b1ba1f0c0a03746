# CTest fixture: two real runs of one plan with the built mtb, shared by every report test (timed once,
# alone, so no other test's load is in their numbers).  cmake -DMTB=<mtb> -DOUT=<folder> -P make_tiny_runs.cmake
file(REMOVE_RECURSE "${OUT}")
foreach(i 1 2)
  execute_process(COMMAND "${MTB}" llm -m tiny -t f32,q4_0 -p 16,64 -n 8 -r 8 --no-report --measurements "${OUT}"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mtb llm (run ${i}) failed with ${rc}:\n${err}")
  endif()
endforeach()
# The load while they ran: the timing tests skip (with the reason) when other work shared the cores.
if(EXISTS /proc/loadavg)
  file(READ /proc/loadavg load)
  file(WRITE "${OUT}/loadavg" "${load}")
endif()
