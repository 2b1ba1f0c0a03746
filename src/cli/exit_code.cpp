#include "cli/commands.h"

namespace mtb::cli {
int& exit_code() {
  static int code = 0;
  return code;
}
}  // namespace mtb::cli
