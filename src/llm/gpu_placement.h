// How a case spreads one model over a host's GPUs: llama-bench's -sm, -ts, -mg and -dev, kept as
// the text the records carry, with the parsers the CLI checks them by and the backends read them with.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace mtb {

// llama.cpp's split modes (llama-bench -sm); layer is its default.
inline const std::vector<std::string> kSplitModes = {"none", "layer", "row", "tensor"};
// The most GPUs one case may name (llama.cpp's LLAMA_MAX_DEVICES).
inline constexpr int kMaxGpus = 16;

struct GpuPlacement {
  std::string split_mode = "layer";  // none: one GPU (main_gpu); layer: consecutive layers per GPU; row, tensor
  std::string tensor_split;          // "3/1": each GPU's share, in proportion; "": by free memory (llama.cpp's default)
  int main_gpu = 0;                  // split mode none's GPU, and row split's home of the small tensors
  std::string gpus = "all";          // "0/1": the GPUs the case may use, by index among the kind's; "all": every visible one

  bool is_default() const;
  // "" for the default placement (a run's keys and labels from before these axes stay as they were).
  std::string key_suffix() const;    // "|smrow|ts3/1|mg1|g0/1"
  std::string label_suffix() const;  // " sm row ts 3/1 mg 1 gpus 0/1"

 private:
  std::string differences(const char* each, const std::array<const char*, 4>& names) const;
};

// "3/1" -> {3, 1}: at most kMaxGpus shares, each finite and 0 or more, not all 0. Throws naming the option.
std::vector<float> parse_tensor_split(const std::string& text);
// "0/1" -> {0, 1}; "all" -> {}: distinct indexes from 0 to kMaxGpus - 1. Throws naming the option.
std::vector<int> parse_gpu_set(const std::string& text);
// The canonical text of each ("3/1", "0/1", "all"), so that "3/1.0" and "3/1" are one case.
std::string tensor_split_text(const std::vector<float>& shares);
std::string gpu_set_text(const std::vector<int>& gpus);
// The GPUs a case uses among `visible` of its kind: its set, or all of them; throws when the set
// names one that is not there.
std::vector<int> resolve_gpus(const GpuPlacement& p, int visible);
// "" where the placement puts the whole model on the kind's first GPU of `visible` (all that a backend
// placing a model on one GPU can run), else why not: a skip's reason, naming `backend`.
std::string first_gpu_only(const GpuPlacement& p, int visible, const std::string& backend);

}  // namespace mtb
