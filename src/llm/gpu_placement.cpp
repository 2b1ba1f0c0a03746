#include "llm/gpu_placement.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mtb {
namespace {

std::vector<std::string> split_slashes(const std::string& text, const char* option) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('/', start);
    parts.push_back(text.substr(start, end - start));
    if (parts.back().empty()) throw std::invalid_argument(fmt::format("{} '{}': an empty entry between slashes", option, text));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

bool GpuPlacement::is_default() const { return key_suffix().empty(); }

// The settings that differ from the default, each written by `each` from its name (`names`: split
// mode, tensor split, main GPU, GPUs) and value, in that order: a key's suffix and a label's share it.
std::string GpuPlacement::differences(const char* each, const std::array<const char*, 4>& names) const {
  std::string s;
  auto add = [&](int i, const std::string& v) { s += fmt::format(fmt::runtime(each), names[i], v); };
  if (split_mode != "layer") add(0, split_mode);
  if (!tensor_split.empty()) add(1, tensor_split);
  if (main_gpu != 0) add(2, std::to_string(main_gpu));
  if (gpus != "all") add(3, gpus);
  return s;
}

std::string GpuPlacement::key_suffix() const { return differences("|{}{}", {"sm", "ts", "mg", "g"}); }
std::string GpuPlacement::label_suffix() const { return differences(" {} {}", {"sm", "ts", "mg", "gpus"}); }

std::vector<float> parse_tensor_split(const std::string& text) {
  std::vector<float> shares;
  for (const auto& part : split_slashes(text, "--tensor-split")) {
    size_t used = 0;
    double v = -1;
    try {
      v = std::stod(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != part.size() || !std::isfinite(v) || v < 0 || v > 1e6)
      throw std::invalid_argument(fmt::format("--tensor-split '{}': '{}' is not a share from 0 to 1e6", text, part));
    shares.push_back(static_cast<float>(v));
  }
  if (shares.size() > static_cast<size_t>(kMaxGpus))
    throw std::invalid_argument(fmt::format("--tensor-split '{}': more than {} GPUs", text, kMaxGpus));
  if (std::all_of(shares.begin(), shares.end(), [](float s) { return s == 0; }))
    throw std::invalid_argument(fmt::format("--tensor-split '{}': every share is 0", text));
  return shares;
}

std::vector<int> parse_gpu_set(const std::string& text) {
  if (text == "all") return {};
  std::vector<int> gpus;
  for (const auto& part : split_slashes(text, "--gpus")) {
    const bool digits = part.size() <= 2 && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    const int i = digits ? std::stoi(part) : -1;
    if (i < 0 || i >= kMaxGpus)
      throw std::invalid_argument(fmt::format("--gpus '{}': '{}' is not a GPU index from 0 to {} (or use 'all')", text, part, kMaxGpus - 1));
    if (std::find(gpus.begin(), gpus.end(), i) != gpus.end())
      throw std::invalid_argument(fmt::format("--gpus '{}': GPU {} twice", text, i));
    gpus.push_back(i);
  }
  return gpus;
}

std::string tensor_split_text(const std::vector<float>& shares) {
  std::vector<std::string> parts;
  for (float s : shares) parts.push_back(fmt::format("{:g}", s));
  return fmt::format("{}", fmt::join(parts, "/"));
}

std::string gpu_set_text(const std::vector<int>& gpus) {
  return gpus.empty() ? "all" : fmt::format("{}", fmt::join(gpus, "/"));
}

std::vector<int> resolve_gpus(const GpuPlacement& p, int visible) {
  std::vector<int> gpus = parse_gpu_set(p.gpus);
  if (gpus.empty())
    for (int i = 0; i < visible; ++i) gpus.push_back(i);
  for (int i : gpus)
    if (i >= visible)
      throw std::invalid_argument(fmt::format("--gpus {}: GPU {} is not there ({} visible)", p.gpus, i, visible));
  return gpus;
}

std::string first_gpu_only(const GpuPlacement& p, int visible, const std::string& backend) {
  std::vector<int> gpus;
  try {
    gpus = resolve_gpus(p, visible);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  const bool one = gpus.size() == 1 && p.main_gpu == 0;
  const bool main_only = p.split_mode == "none" && p.main_gpu < static_cast<int>(gpus.size());
  if ((one || main_only) && gpus[main_only ? p.main_gpu : 0] == 0) return "";
  return fmt::format("{} places a model on the first GPU only: --gpus {} --split-mode {} --main-gpu {} is llama.cpp's "
                     "(--gpus 0 compares backends on one GPU)",
                     backend, p.gpus, p.split_mode, p.main_gpu);
}

}  // namespace mtb
