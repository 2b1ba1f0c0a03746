// THE measurement record of an LLM case: what ran, where, every sample, the summaries, memory,
// and how it ended. Every output (table, CSV, JSONL, the ancestor layout, report, compare) reads it.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/fields.h"
#include "core/stats.h"
#include "core/status.h"
#include "llm/gpu_placement.h"
#include "llm/load.h"
#include "llm/roofline.h"

namespace mtb {

// One point of the plan: the cartesian product of the CLI's axes.
struct CaseSpec {
  std::string model;      // zoo name or a GGUF path, as the user wrote it
  std::string backend;    // "llamacpp", "torch", "mlx", "server"
  std::string device;     // "cpu", "cuda", "metal"
  std::string precision;  // "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m"
  int n_prompt = 512;
  int n_gen = 128;
  int n_depth = 0;        // tokens already in the KV cache before the timed prompt (llama-bench -d)
  int batch = 1;          // parallel sequences
  int threads = 0;        // 0: the backend's default (all physical cores)
  int reps = 5;           // at most, with ci_stop; exactly, without
  int warmup = 1;
  // Each timed quantity (prompt, generation) stops repeating once the 95% interval of its median is
  // within this fraction of it (median_precise, after kMinRepsForStop samples); once generation has
  // stopped, further repetitions time the prompt pass alone. 0: always run `reps` of both.
  double ci_stop = 0;
  uint64_t seed = 42;
  double timeout_s = 0;   // 0: none
  std::string prompt_file;  // real text for the prompt (tokenized, repeated to length); "": seeded ids
  LoadSettings load;        // serving load against a server (llm/load.h); inactive: one stream, timed per token
  GpuPlacement gpu;         // how the model spreads over the host's GPUs (GPU devices only)

  // Identifies the case within a run: resume compares keys.
  std::string key() const;
  std::string label() const;  // short human line for progress output
};

inline constexpr int kMinRepsForStop = 2;
// Generation speed varying more than this (coefficient of variation over repetitions) is flagged.
inline constexpr double kNoisyCv = 0.02;

struct Record {
  CaseSpec spec;
  Status status = Status::ok;
  std::string error;  // why it failed or was skipped; empty when ok

  // The model as loaded.
  std::string model_path;
  std::string model_arch;     // GGUF general.architecture
  std::string model_desc;     // backend's description, e.g. "qwen2 0.5B BF16"
  uint64_t model_bytes = 0;   // weight bytes
  uint64_t model_n_params = 0;
  double bits_per_weight = 0;

  // The input: identical for every backend given the same seed, model vocabulary and lengths.
  std::string tokens_hash;
  std::vector<int32_t> generated;  // greedy tokens of the first timed repetition, sequence 0

  // Timings. Samples are seconds per repetition; throughput is derived from them.
  double load_s = 0;
  std::vector<double> prompt_s;  // time to first token: prompt pass + first token on the host
  std::vector<double> gen_s;     // n_gen further decode steps
  Summary prompt_tps, gen_tps, ttft_s;

  // Memory: peak resident set of the worker process; device bytes where the backend has a device.
  uint64_t peak_rss_bytes = 0;
  uint64_t peak_device_bytes = 0;
  // Bytes the machine swapped in and out while the case ran (all processes; nullopt: unknown, not
  // Linux). Above 0 the case is flagged: its timings include waits on the disk.
  std::optional<uint64_t> swapped_bytes;
  // THE peak memory figure (tables, charts, the ancestor's peak_memory_gib): the device's peak where
  // the case ran on one (the ancestor's meaning: MLX's peak on Apple's unified memory), else the
  // resident set. Not their sum: the resident set counts the model file's pages that the loader
  // mapped to copy the weights to the device, which would count the weights twice.
  uint64_t peak_memory_bytes() const {
    return spec.device != "cpu" && peak_device_bytes > 0 ? peak_device_bytes : peak_rss_bytes;
  }

  // How close to the hardware (llm/roofline.h), and what the GPU spent (NVML, where present).
  Roofline roofline;
  double gen_energy_j = 0;       // over all timed generation
  double gen_j_per_token = 0;
  double gen_avg_power_w = 0;
  nlohmann::json device_context = nlohmann::json::object();  // GPU name, driver, clocks, temperature at start and end

  // Context.
  std::string backend_version;
  std::string device_name;
  std::string started_at;  // ISO 8601, UTC
  double wall_s = 0;
  nlohmann::json extra = nlohmann::json::object();  // backend facts: kernels, flash attention, ...

  // A load case's figures (llm/derived.cpp) and every request's timeline.
  LoadMetrics load;
  std::vector<RequestRow> requests;

  // "" or why the generation figure is noisy ("tg cv 3.4% > 2%"): printed and charted beside it.
  std::string noise_flag() const;
  // "" or "swapped 12 MiB": printed beside the status.
  std::string swap_flag() const;
};

// The record's fields, each declared once (core/fields.h): its JSON, benchmark_results.csv (the
// columns of mlx_transformers_benchmark first, its meanings kept: its `backend` is the device) and the
// console table come from it. A case's own JSON is the subset of the axes.
const FieldTable<Record>& record_fields();

// " c16 rate 4/s": a load case's settings in a label ("" for a single stream).
std::string load_label(const LoadSettings& l);

void to_json(nlohmann::json& j, const CaseSpec& c);
void from_json(const nlohmann::json& j, CaseSpec& c);
void to_json(nlohmann::json& j, const Record& r);
void from_json(const nlohmann::json& j, Record& r);

}  // namespace mtb
