#include "core/calibration.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <vector>

#include "core/clock.h"
#include "core/stats.h"
#include "core/store.h"

namespace mtb {
namespace {

double median_seconds(const Clock& clock, const std::function<void()>& fn, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const double t0 = clock.now_s();
    fn();
    t.push_back(seconds_since(clock, t0));
  }
  return summarize(t).median;
}

// Why an entry of the cache is not a measurement ("" when it is): both ceilings finite numbers, not
// negative, one of them measured.
std::string entry_problem(const nlohmann::json& e) {
  if (!e.is_object()) return "not an object";
  for (const char* key : {"bandwidth_gbs", "matmul_tflops"}) {
    const auto it = e.find(key);
    if (it == e.end()) continue;
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
      return fmt::format("{} is {}", key, it->dump());
  }
  if (e.value("bandwidth_gbs", 0.0) <= 0 && e.value("matmul_tflops", 0.0) <= 0) return "no ceiling measured";
  return "";
}

}  // namespace

std::string calibration_file_problem(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return "";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    return fmt::format("not valid JSON ({})", e.what());
  }
  if (!j.is_object()) return "not a JSON object";
  for (const auto& [description, e] : j.items())
    if (const std::string why = entry_problem(e); !why.empty()) return fmt::format("the entry '{}': {}", description, why);
  return "";
}

Calibration measure_calibration(const std::string& device, const CalibrationKernels& k, const Clock& clock) {
  Calibration c;
  c.device = device;
  c.description = k.device_description;
  c.matmul_desc = k.matmul_desc;
  c.measured_at = utc_now_iso8601();
  if (k.copy) c.bandwidth_gbs = double(k.copy_bytes) / median_seconds(clock, k.copy, 3, 10) / 1e9;
  if (k.matmul) c.matmul_tflops = k.matmul_flops / median_seconds(clock, k.matmul, 2, 8) / 1e12;
  return c;
}

nlohmann::json to_json(const Calibration& c) {
  return {{"device", c.device},           {"description", c.description},     {"bandwidth_gbs", c.bandwidth_gbs},
          {"matmul_tflops", c.matmul_tflops}, {"matmul", c.matmul_desc}, {"measured_at", c.measured_at}};
}

std::optional<Calibration> load_calibration(const std::filesystem::path& file, const std::string& description) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (!j.is_object() || !j.contains(description)) return std::nullopt;
    const auto& e = j.at(description);
    if (!entry_problem(e).empty()) return std::nullopt;
    Calibration c;
    c.device = e.value("device", "");
    c.description = description;
    c.bandwidth_gbs = e.value("bandwidth_gbs", 0.0);
    c.matmul_tflops = e.value("matmul_tflops", 0.0);
    c.matmul_desc = e.value("matmul", "");
    c.measured_at = e.value("measured_at", "");
    return c;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged cache is re-measured, not fatal
  }
}

void save_calibration(const std::filesystem::path& file, const Calibration& c) {
  nlohmann::json j = nlohmann::json::object();
  if (std::ifstream in(file); in) {
    try {
      j = nlohmann::json::parse(in);
    } catch (const std::exception&) {
    }
  }
  // A damaged cache is replaced, keeping only the entries that are measurements.
  if (!j.is_object()) j = nlohmann::json::object();
  for (auto it = j.begin(); it != j.end();) it = entry_problem(*it).empty() ? std::next(it) : j.erase(it);
  j[c.description] = to_json(c);
  std::filesystem::create_directories(file.parent_path());
  write_file_atomic(file, j.dump(2) + "\n");
}

}  // namespace mtb
