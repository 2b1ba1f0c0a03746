# CTest fixture: two real runs of one plan with the built mtb, shared by every report test (timed once,
# with repetitions long enough (~0.1 s) that scheduler noise on a small VM stays under the 5% bar;
# alone, so no other test's load is in their numbers).  cmake -DMTB=<mtb> -DOUT=<folder> -P make_tiny_runs.cmake
# A third run of the same plan, afterwards, in ${OUT}-control: if it differs from the first, the
# machine itself changed speed meanwhile (a shared VM does), and the no-change test says so.
# Run 0 is thrown away: on this VM the first case timed after a quiet spell ran ~16% slow (a cold
# machine), which would read as a change between two runs of one plan.
file(REMOVE_RECURSE "${OUT}" "${OUT}-control" "${OUT}-warmup")
foreach(i 0 1 2 3)
  set(dest "${OUT}")
  if(i EQUAL 0)
    set(dest "${OUT}-warmup")
  elseif(i EQUAL 3)
    set(dest "${OUT}-control")
  endif()
  execute_process(COMMAND "${MTB}" llm -m tiny -t f32,q4_0 -p 64,256 -n 64 -r 8 --warmup 2 --cooldown 0 --no-report --measurements "${dest}"
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
