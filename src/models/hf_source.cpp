// Hugging Face checkpoint folders as a TensorSource: config.json for the architecture, tensors from
// one or more safetensors files (mtb's own validating reader), renamed to GGUF names and brought to
// the GGUF convention (Gemma's RMSNorm stores w - 1; convert_hf_to_gguf adds the 1, so do we).
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/json_number.h"
#include "models/safetensors.h"
#include "models/tensor_source.h"
#include "models/zoo.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

// A model folder, or a Hugging Face cache entry (models--org--name with refs/ and snapshots/).
fs::path resolve_folder(const fs::path& p) {
  if (fs::exists(p / "config.json")) return p;
  if (fs::is_directory(p / "snapshots")) {
    std::ifstream ref(p / "refs" / "main");
    std::string rev;
    if (ref >> rev && fs::exists(p / "snapshots" / rev / "config.json")) return p / "snapshots" / rev;
    std::vector<fs::path> snaps;
    for (const auto& e : fs::directory_iterator(p / "snapshots"))
      if (fs::exists(e.path() / "config.json")) snaps.push_back(e.path());
    if (snaps.size() == 1) return snaps[0];
    throw std::runtime_error(fmt::format("model folder {}: {} snapshots and no refs/main to choose one", p.string(), snaps.size()));
  }
  throw std::runtime_error(fmt::format("model folder {}: no config.json (not a Hugging Face checkpoint folder)", p.string()));
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open {}", p.string()));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

nlohmann::json parse_json(const std::string& text, const fs::path& where) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: not valid JSON ({})", where.string(), e.what()));
  }
}

// HF name -> GGUF name (nullopt for tensors the model does not use, like rotary inv_freq).
std::string gguf_name(std::string hf, const std::string& arch) {
  if (hf.rfind("language_model.", 0) == 0) hf = hf.substr(15);  // Gemma 3 multimodal checkpoints
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+))");
  std::smatch m;
  if (!std::regex_match(hf, m, layer)) return "";
  const bool gemma = arch == "gemma3";
  static const std::map<std::string, std::string> common = {
      {"input_layernorm.weight", "attn_norm.weight"},    {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.q_proj.bias", "attn_q.bias"},          {"self_attn.k_proj.bias", "attn_k.bias"},
      {"self_attn.v_proj.bias", "attn_v.bias"},          {"self_attn.o_proj.weight", "attn_output.weight"},
      {"self_attn.q_norm.weight", "attn_q_norm.weight"}, {"self_attn.k_norm.weight", "attn_k_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},       {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},       {"pre_feedforward_layernorm.weight", "ffn_norm.weight"},
      {"post_feedforward_layernorm.weight", "post_ffw_norm.weight"}};
  std::string leaf = m[2];
  std::string out;
  if (leaf == "post_attention_layernorm.weight") out = gemma ? "post_attention_norm.weight" : "ffn_norm.weight";
  else if (auto it = common.find(leaf); it != common.end()) out = it->second;
  else return "";
  return "blk." + m[1].str() + "." + out;
}

bool inside_folder(const std::string& name) {
  const fs::path p(name);
  return !name.empty() && p.is_relative() && std::none_of(p.begin(), p.end(), [](const fs::path& c) { return c == ".."; });
}

template <class T>
T get_or(const nlohmann::json& j, const char* k, T fallback) {
  return j.contains(k) && !j[k].is_null() ? json_get<T>(j[k]) : fallback;
}

class HfSource final : public TensorSource {
 public:
  explicit HfSource(const fs::path& p) : dir_(resolve_folder(p)) {
    cfg_ = parse_hf_config(read_text(dir_ / "config.json"), dir_ / "config.json", rope_factors_);
    cfg_.name = dir_.filename().string();
    std::vector<fs::path> files;
    if (const fs::path index = dir_ / "model.safetensors.index.json"; fs::exists(index)) {
      for (const auto& f : parse_safetensors_index(read_text(index), index)) files.push_back(dir_ / f);
    } else {
      for (const auto& e : fs::directory_iterator(dir_))
        if (e.path().extension() == ".safetensors") files.push_back(e.path());
      std::sort(files.begin(), files.end());
    }
    if (files.empty()) throw std::runtime_error(fmt::format("model folder {}: no *.safetensors files", dir_.string()));
    for (const auto& f : files) {
      shards_.push_back(std::make_unique<SafetensorsFile>(f));
      for (const auto& e : shards_.back()->header().tensors) {
        bytes_ += e.end - e.begin;
        by_dtype_[e.dtype] += e.end - e.begin;
        if (std::string g = gguf_name(e.name, cfg_.arch); !g.empty()) where_[g] = {shards_.back().get(), &e};
      }
    }
    cfg_.tied_embeddings = !where_.count("output.weight");
    if (!where_.count("token_embd.weight"))
      throw std::runtime_error(fmt::format("model folder {}: no model.embed_tokens.weight in any shard", dir_.string()));
  }

  const ModelConfig& config() const override { return cfg_; }
  bool has(const std::string& name) const override { return where_.count(name) || (name == "rope_freqs.weight" && !rope_factors_.empty()); }
  std::string describe() const override { return fmt::format("safetensors {}, {} file(s)", storage_type(), shards_.size()); }
  uint64_t file_bytes() const override { return bytes_; }
  std::string storage_type() const override {
    std::string top;
    uint64_t most = 0;
    for (const auto& [d, b] : by_dtype_)
      if (b > most) most = b, top = d;
    std::transform(top.begin(), top.end(), top.begin(), ::tolower);
    return top;
  }

  HostTensor read(const std::string& name) const override {
    HostTensor t;
    t.name = name;
    if (name == "rope_freqs.weight" && !rope_factors_.empty()) {  // HF computes these from config.json
      t.shape = {int64_t(rope_factors_.size())};
      std::memcpy(t.allocate(rope_factors_.size() * 4), rope_factors_.data(), rope_factors_.size() * 4);
      return t;
    }
    const auto it = where_.find(name);
    if (it == where_.end()) throw std::runtime_error(fmt::format("model folder {}: tensor {} is missing", dir_.string(), name));
    const auto& [file, e] = it->second;
    if (e->dtype == "F32") t.dtype = HostDType::f32;
    else if (e->dtype == "F16") t.dtype = HostDType::f16;
    else if (e->dtype == "BF16") t.dtype = HostDType::bf16;
    else
      throw std::runtime_error(fmt::format("{}: tensor {} has dtype {}; weights must be F32, F16 or BF16",
                                           file->path().string(), e->name, e->dtype));
    t.shape = e->shape;
    t.data = file->read(*e);  // no copy: the file's pages
    t.nbytes = e->end - e->begin;
    if (cfg_.arch == "gemma3" && name.ends_with("norm.weight")) add_one(t);
    return t;
  }

 private:
  // Gemma's RMSNorm multiplies by (1 + w): stored as f32 w + 1, the form the model code uses.
  static void add_one(HostTensor& t) {
    const auto in = t.data;
    auto* dst = reinterpret_cast<float*>(t.allocate(size_t(t.numel()) * 4));
    for (int64_t i = 0; i < t.numel(); ++i) {
      float v;
      if (t.dtype == HostDType::f32) std::memcpy(&v, in.get() + 4 * i, 4);
      else {
        uint16_t h;
        std::memcpy(&h, in.get() + 2 * i, 2);
        if (t.dtype == HostDType::bf16) {
          const uint32_t bits = uint32_t(h) << 16;
          std::memcpy(&v, &bits, 4);
        } else {
          v = half_to_float(h);
        }
      }
      dst[i] = v + 1.0f;
    }
    t.dtype = HostDType::f32;
  }

  static float half_to_float(uint16_t h) {
    const int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    const float sign = (h & 0x8000) ? -1.0f : 1.0f;
    if (exp == 0) return sign * std::ldexp(float(mant), -24);
    if (exp == 31) return mant ? NAN : sign * INFINITY;
    return sign * std::ldexp(float(mant | 0x400), exp - 25);
  }

  fs::path dir_;
  ModelConfig cfg_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, std::pair<const SafetensorsFile*, const SafetensorsEntry*>> where_;
  std::map<std::string, uint64_t> by_dtype_;
  std::vector<float> rope_factors_;
  uint64_t bytes_ = 0;
};

}  // namespace

ModelConfig parse_hf_config(const std::string& text, const fs::path& where, std::vector<float>& rope_factors) {
  nlohmann::json j = parse_json(text, where);
  if (!j.is_object()) throw std::runtime_error(fmt::format("{}: not a JSON object", where.string()));
  ModelConfig cfg;
  rope_factors.clear();
  if (j.contains("text_config")) j = j["text_config"];  // Gemma 3 multimodal: the text model's numbers
  const std::string type = get_or<std::string>(j, "model_type", "");
  if (type == "qwen2" || type == "qwen3" || type == "llama") cfg.arch = type;
  else if (type == "gemma3_text" || type == "gemma3") cfg.arch = "gemma3";
  else throw std::runtime_error(fmt::format("{}: model_type '{}' is not one the torch backend implements "
                                            "(qwen2, qwen3, llama, gemma3)", where.string(), type));
  // Whole numbers within what any model has: a zero, a negative or an absurd count is the file's
  // error, named, not a division by zero or a size that wraps in the library below.
  auto whole = [&](const char* k, int64_t lo, int64_t hi, std::optional<int64_t> fallback) -> int {
    if (!j.contains(k) || j[k].is_null()) {
      if (fallback) return int(*fallback);
      throw std::runtime_error(fmt::format("{}: {} is missing", where.string(), k));
    }
    if (!j[k].is_number_integer()) throw std::runtime_error(fmt::format("{}: {} is not a whole number: {}", where.string(), k, j[k].dump()));
    const int64_t v = j[k].is_number_unsigned() && j[k].get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX : j[k].get<int64_t>();
    if (v < lo || v > hi)
      throw std::runtime_error(fmt::format("{}: {} is {}; a model has {} to {}", where.string(), k, j[k].dump(), lo, hi));
    return int(v);
  };
  cfg.hidden = whole("hidden_size", 1, 1 << 20, std::nullopt);
  cfg.layers = whole("num_hidden_layers", 1, 4096, std::nullopt);
  cfg.heads = whole("num_attention_heads", 1, 4096, std::nullopt);
  cfg.kv_heads = whole("num_key_value_heads", 1, cfg.heads, cfg.heads);
  if (cfg.heads % cfg.kv_heads != 0)
    throw std::runtime_error(fmt::format("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}",
                                         where.string(), cfg.heads, cfg.kv_heads));
  cfg.head_dim = whole("head_dim", 1, 1 << 16, std::max(1, cfg.hidden / cfg.heads));
  cfg.ffn = whole("intermediate_size", 1, 1 << 22, std::nullopt);
  cfg.vocab = whole("vocab_size", 1, 1 << 24, std::nullopt);
  cfg.n_ctx_train = whole("max_position_embeddings", 0, 1 << 30, 0);
  cfg.norm_eps = get_or<double>(j, "rms_norm_eps", 1e-6);
  cfg.rope_theta = get_or<double>(j, "rope_theta", 10000);
  cfg.qkv_bias = cfg.arch == "qwen2" || get_or<bool>(j, "attention_bias", false);
  cfg.qk_norm = cfg.arch == "qwen3" || cfg.arch == "gemma3";
  cfg.is_swa.assign(cfg.layers, false);
  if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    const auto& rs = j["rope_scaling"];
    const std::string rt = get_or<std::string>(rs, "rope_type", get_or<std::string>(rs, "type", ""));
    if (rt == "linear") cfg.rope_freq_scale = 1.0 / get_or<double>(rs, "factor", 1);
    else if (rt == "llama3") {
      RopeScaling r{"llama3", get_or<double>(rs, "factor", 1), get_or<double>(rs, "low_freq_factor", 1),
                    get_or<double>(rs, "high_freq_factor", 4), get_or<int>(rs, "original_max_position_embeddings", 8192)};
      rope_factors = llama3_rope_factors(r, cfg.rope_theta, cfg.head_dim);
      cfg.rope_freq_factors = true;
    } else if (!rt.empty() && rt != "default") {
      throw std::runtime_error(fmt::format("{}: rope_scaling type '{}' is not implemented", where.string(), rt));
    }
  }
  if (cfg.arch == "gemma3") {
    cfg.post_norms = true;
    cfg.activation = "gelu_tanh";
    cfg.embed_scale = std::sqrt(double(cfg.hidden));
    cfg.rope_local_theta = get_or<double>(j, "rope_local_base_freq", 10000);
    cfg.sliding_window = whole("sliding_window", 0, 1 << 30, 0);
    cfg.attn_scale = 1.0 / std::sqrt(get_or<double>(j, "query_pre_attn_scalar", cfg.head_dim));
    if (j.contains("layer_types") && j["layer_types"].is_array()) {
      for (int l = 0; l < cfg.layers && l < int(j["layer_types"].size()); ++l)
        cfg.is_swa[l] = j["layer_types"][l] == "sliding_attention";
    } else {
      const int pattern = whole("sliding_window_pattern", 0, 4096, 6);
      for (int l = 0; l < cfg.layers; ++l) cfg.is_swa[l] = pattern == 0 || l % pattern < pattern - 1;
    }
  }
  return cfg;
}

std::vector<std::string> parse_safetensors_index(const std::string& text, const fs::path& where) {
  const nlohmann::json idx = parse_json(text, where);
  if (!idx.is_object() || !idx.contains("weight_map") || !idx["weight_map"].is_object())
    throw std::runtime_error(fmt::format("{}: no weight_map", where.string()));
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (const auto& [tensor, file] : idx["weight_map"].items()) {
    // A shard is a file in the index's folder: a name that leaves it is refused, not opened.
    if (!file.is_string() || !inside_folder(file.get<std::string>()))
      throw std::runtime_error(fmt::format("{}: weight_map[\"{}\"] is {}, not a file in this folder", where.string(),
                                           tensor, file.dump()));
    if (seen.insert(file.get<std::string>()).second) files.push_back(file.get<std::string>());
  }
  return files;
}

std::unique_ptr<TensorSource> open_hf_source(const fs::path& folder) { return std::make_unique<HfSource>(folder); }

}  // namespace mtb
