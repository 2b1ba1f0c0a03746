// A crash names itself: on SIGSEGV, SIGBUS, SIGILL or SIGFPE mtb prints the call stack (addresses
// resolve with `addr2line -e mtb`), and on x86-64 Linux, for a jump the unwinder cannot walk, the
// faulting instruction, the top of the stack and the code mappings; then the default action, so the
// exit status still names the signal. bench/gpu.sh resolves such a report into stacks.txt.
#pragma once

namespace mtb::cli {

void install_crash_report();

}  // namespace mtb::cli
