// How a case ended, in every suite's record.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace mtb {

enum class Status { ok, failed, skipped };

inline std::string to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::failed: return "failed";
    case Status::skipped: return "skipped";
  }
  return "failed";
}

inline Status status_from_string(const std::string& s) {
  if (s == "ok") return Status::ok;
  if (s == "skipped") return Status::skipped;
  if (s == "failed") return Status::failed;
  throw std::runtime_error("unknown record status '" + s + "'");
}

inline void to_json(nlohmann::json& j, Status s) { j = to_string(s); }
inline void from_json(const nlohmann::json& j, Status& s) { s = status_from_string(j.get<std::string>()); }

}  // namespace mtb
