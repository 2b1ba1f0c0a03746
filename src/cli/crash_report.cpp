// The crash report: a fatal signal prints what is needed to find the fault (see crash_report.h).
#include "cli/crash_report.h"

#include <csignal>
#include <cstdint>
#include <cstring>
#include <execinfo.h>
#include <initializer_list>
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <link.h>
#include <ucontext.h>
#endif

namespace mtb::cli {
namespace {

// Where the mtb executable sits in memory, so the crash report can name code addresses as offsets
// into it ("mtb(+0x1d9f68)", what `addr2line -e mtb` takes).
uintptr_t g_exe_lo = 0, g_exe_hi = 0, g_exe_base = 0;

#ifdef __linux__
int note_exe_range(dl_phdr_info* info, size_t, void*) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {  // the first object listed is the executable
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    const uintptr_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
    if (!g_exe_lo || lo < g_exe_lo) g_exe_lo = lo;
    if (hi > g_exe_hi) g_exe_hi = hi;
  }
  g_exe_base = info->dlpi_addr;
  return 1;
}
#endif

// Async-signal-safe output: write(2) of a string, of a number in hex (all 16 digits, or without
// leading zeros), or of a stack word tagged when it is mtb code.
void say(const char* s) { (void)!write(STDERR_FILENO, s, strlen(s)); }
void say_hex(uintptr_t v, bool all_digits) {
  char buf[20];
  int n = 0;
  for (int shift = 60; shift >= 0; shift -= 4)
    if (all_digits || n || ((v >> shift) & 15) || shift == 0) buf[n++] = "0123456789abcdef"[(v >> shift) & 15];
  buf[n] = 0;
  say(buf);
}
void say_word(const char* label, uintptr_t v) {
  say(label);
  say(" 0x");
  say_hex(v, true);
  if (v >= g_exe_lo && v < g_exe_hi) {  // as backtrace_symbols_fd prints it, for resolve_stacks
    say("  mtb(+0x");
    say_hex(v - g_exe_base, false);
    say(")");
  }
  say("\n");
}

#ifdef __linux__
// The executable mappings of the process (/proc/self/maps lines marked r-xp), so an address outside
// mtb names its library and offset. open/read/write only: safe in a signal handler.
void say_code_mappings() {
  const int fd = open("/proc/self/maps", O_RDONLY);
  if (fd < 0) return;
  say("code mappings:\n");
  char buf[4096], line[512];
  size_t len = 0;
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (len + 1 < sizeof line) line[len++] = buf[i];
        continue;
      }
      line[len] = 0;
      if (strstr(line, " r-xp ")) {
        say(line);
        say("\n");
      }
      len = 0;
    }
  close(fd);
}
#endif

// A crash names itself: the signal, the call stack (addresses resolve with `addr2line -e mtb`),
// and where the unwinder cannot walk (a jump through a bad pointer) the faulting instruction and the
// words on top of the stack, which hold the caller's return address. Then the default action, so
// the exit status still says which signal it was.
void on_fatal_signal(int sig, siginfo_t* si, void* ctx) {
  say("mtb: fatal signal; call stack:\n");
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
  say_word("fault address", reinterpret_cast<uintptr_t>(si->si_addr));
#if defined(__linux__) && defined(__x86_64__)
  const auto* uc = static_cast<const ucontext_t*>(ctx);
  say_word("pc", static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]));
  const auto* sp = reinterpret_cast<const uintptr_t*>(uc->uc_mcontext.gregs[REG_RSP]);
  for (int i = 0; i < 24; ++i) say_word("stack", sp[i]);
  say_code_mappings();
#else
  (void)ctx;
#endif
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void install_crash_report() {
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now: the first call may allocate, which a signal handler must not
#ifdef __linux__
  dl_iterate_phdr(note_exe_range, nullptr);
#endif
  struct sigaction sa{};
  sa.sa_sigaction = on_fatal_signal;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) sigaction(sig, &sa, nullptr);
}

}  // namespace mtb::cli
