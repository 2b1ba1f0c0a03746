// The one source of time for everything mtb measures. Harnesses and calibration take a Clock, so
// their tests run on a fake one with exact figures; the real one is the steady clock.
#pragma once
#include <string>

namespace mtb {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now_s() const = 0;  // seconds from an arbitrary origin, never going back
};

// std::chrono::steady_clock.
const Clock& steady_clock();

// Seconds since `t0` on `clock`.
inline double seconds_since(const Clock& clock, double t0) { return clock.now_s() - t0; }

// The wall-clock time now (context, not a measurement): through strftime, in UTC or local time; and
// as ISO 8601 in UTC, when a record started.
std::string now_as(const char* strftime_format, bool utc);
std::string utc_now_iso8601();

}  // namespace mtb
