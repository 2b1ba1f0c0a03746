// The record of one `mtb ops` case: what ran, where, its verification, every timing sample, the
// summary and the roofline. results.jsonl holds these; benchmark_results.csv and the table read them.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/fields.h"
#include "core/stats.h"
#include "core/status.h"
#include "ops/op.h"
#include "ops/verify.h"

namespace mtb::ops {

// One point of the plan: the cartesian product of `mtb ops`'s axes.
struct OpCase {
  std::string op;               // ops/op.h names: layer_norm, linear, ...
  std::string backend;          // torch, ggml, mlx
  std::string variant = "eager";  // or the backend's compiled variant (the ancestor's compile column)
  std::string device = "cpu";
  std::string dtype = "float32";
  std::string quant;            // matmul_quant only
  std::string mask = "none";    // none, causal (attention ops)
  int batch = 1, seq = 64, feature = 768, heads = 1;
  int threads = 0;              // 0: physical cores
  uint64_t seed = 42;
  // Timing: warm-up, then repetitions until the 95% interval of the median is within `target_rel_ci`
  // of it (at least `min_reps`), or `time_cap_s` of timed work has passed.
  int warmup = 10;
  int min_reps = 10;
  double target_rel_ci = 0.02;
  double time_cap_s = 1.0;
  // Rotate among enough copies of the inputs (weights included, at most 16) to touch this many MB,
  // so a small op does not run from a warm cache; 0: one copy, always warm (as test-backend-ops).
  double rotate_mb = 128;
  double timeout_s = 0;  // the worker's limit; 0: none

  OpShape shape() const;
  std::string key() const;    // identifies the case within a run (resume)
  std::string label() const;  // one human line for progress
};

struct OpRecord {
  OpCase spec;
  Status status = Status::ok;
  std::string error;
  std::string title;  // the ancestor's name: "LayerNorm(dim=768)"

  Verification verification;

  // Timing: milliseconds per call, one sample per call.
  int warmup_reps = 0;
  std::vector<double> samples_ms;
  Summary ms;
  Interval median_ci;  // 95% interval of the median (core/stats.h): what stopping compares
  double rel_ci() const { return ms.median > 0 ? (median_ci.hi - median_ci.lo) / 2 / ms.median : 0; }
  std::string stop;  // "converged" (interval within target), "time cap", "max reps"
  int slots = 1;     // input copies rotated among
  double rotated_bytes = 0;

  // Roofline: the op's arithmetic and minimum traffic against this device's measured ceilings.
  double flops = 0, min_bytes = 0;
  double gflops = 0, gbs = 0;          // achieved at the median
  double pct_flops = 0, pct_bw = 0;    // of the calibrated matmul peak / bandwidth (0: not calibrated)
  double roofline_pct = 0;             // of min(peak, intensity x bandwidth): the larger of the two
  std::string calibration;             // which ceilings: description, when measured

  std::string backend_version, device_name, started_at;
  double wall_s = 0;
  uint64_t peak_rss_bytes = 0;
  nlohmann::json extra = nlohmann::json::object();  // the backend's facts: kernels, threads, formats
};

// The record's fields, each declared once (core/fields.h): JSON both ways, benchmark_results.csv
// (mlx_transformers_benchmark's layer columns first: its `framework` is the library, its `backend` the
// device, duration_ms the mean time per call) and the console table.
const FieldTable<OpRecord>& op_record_fields();

void to_json(nlohmann::json& j, const OpCase& c);
void from_json(const nlohmann::json& j, OpCase& c);
void to_json(nlohmann::json& j, const OpRecord& r);
void from_json(const nlohmann::json& j, OpRecord& r);

}  // namespace mtb::ops
