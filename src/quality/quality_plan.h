// The quality plan: per reference (a zoo model's own, or one GGUF that every candidate file is
// measured against) the reference case first, then every candidate backend x device x precision, so
// the candidates find the reference's log-probabilities stored when they run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "quality/quality_record.h"

namespace mtb {

struct QualityReference {
  std::string backend = "llamacpp", device = "cpu", precision = "f32";
  std::string model;  // a GGUF file every candidate file is measured against; "": each zoo model its own
  bool chosen = false;  // given by the user: never replaced by a lower precision that fits
};

struct QualityAxes {
  std::vector<std::string> models, backends, devices, precisions;
  QualityReference reference;
  int n_ctx = 512, n_chunks = 4, threads = 0;
  uint64_t seed = 42;
  std::string prompt_file;
  double timeout_s = 0;
  double max_kld = 0;  // > 0: a candidate whose mean KLD exceeds it fails the gate (exit 4)
};

// Per model (zoo names; every GGUF path shares the given reference file): the reference case, then
// backends x devices x precisions (a GGUF path at its stored precision, once per backend and device).
std::vector<QualityCase> expand(const QualityAxes& a);

std::string describe_plan(const QualityAxes& a, size_t n_cases);

// --reference's default: llama.cpp at f32 (bf16, then f16, where that does not fit).
inline constexpr const char* kDefaultReference = "llamacpp:f32";

// Parses --reference: BACKEND:PRECISION[:DEVICE] or BACKEND:PATH.gguf[:DEVICE]. Anything but the
// default text is the user's choice (QualityReference::chosen).
QualityReference parse_reference(const std::string& text, const std::string& default_device);

}  // namespace mtb
