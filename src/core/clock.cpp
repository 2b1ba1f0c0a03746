#include "core/clock.h"

#include <chrono>
#include <ctime>

namespace mtb {
namespace {

class SteadyClock final : public Clock {
 public:
  double now_s() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

const Clock& steady_clock() {
  static const SteadyClock c;
  return c;
}

std::string now_as(const char* strftime_format, bool utc) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  utc ? gmtime_r(&now, &tm) : localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, strftime_format, &tm);
  return buf;
}

std::string utc_now_iso8601() { return now_as("%Y-%m-%dT%H:%M:%SZ", true); }

}  // namespace mtb
