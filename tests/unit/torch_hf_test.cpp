// The torch backend reads a Hugging Face checkpoint folder (config.json, sharded safetensors, the
// HF cache layout) as the same model as the GGUF it was written from: identical logits.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "llm/backend.h"
#include "core/tokens.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "models/tensor_source.h"
#include "models/zoo.h"
#include "test_dirs.h"

using namespace mtb;
namespace fs = std::filesystem;

namespace {

// GGUF name -> Hugging Face name, for the llama-like families (the inverse of hf_source.cpp's map).
std::string hf_name(const std::string& g) {
  if (g == "token_embd.weight") return "model.embed_tokens.weight";
  if (g == "output_norm.weight") return "model.norm.weight";
  if (g == "output.weight") return "lm_head.weight";
  const auto dot = g.find('.', 4);
  const std::string layer = g.substr(4, dot - 4), leaf = g.substr(dot + 1);
  static const std::map<std::string, std::string> m = {
      {"attn_norm.weight", "input_layernorm.weight"}, {"attn_q.weight", "self_attn.q_proj.weight"},
      {"attn_k.weight", "self_attn.k_proj.weight"},   {"attn_v.weight", "self_attn.v_proj.weight"},
      {"attn_q.bias", "self_attn.q_proj.bias"},       {"attn_k.bias", "self_attn.k_proj.bias"},
      {"attn_v.bias", "self_attn.v_proj.bias"},       {"attn_output.weight", "self_attn.o_proj.weight"},
      {"ffn_norm.weight", "post_attention_layernorm.weight"}, {"ffn_gate.weight", "mlp.gate_proj.weight"},
      {"ffn_up.weight", "mlp.up_proj.weight"},        {"ffn_down.weight", "mlp.down_proj.weight"}};
  return "model.layers." + layer + "." + m.at(leaf);
}

void write_safetensors(const fs::path& p, const std::vector<HostTensor>& ts) {
  nlohmann::json h = nlohmann::json::object();
  uint64_t off = 0;
  for (const auto& t : ts) {
    h[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {off, off + t.nbytes}}};
    off += t.nbytes;
  }
  const std::string hs = h.dump();
  std::ofstream out(p, std::ios::binary);
  const uint64_t n = hs.size();
  out.write(reinterpret_cast<const char*>(&n), 8);  // little-endian hosts (x86, arm64)
  out << hs;
  for (const auto& t : ts) out.write(reinterpret_cast<const char*>(t.data.get()), std::streamsize(t.nbytes));
}

// A Hugging Face cache entry (models--mtb--<name>/snapshots/<rev>, refs/main) holding the GGUF's
// weights in two safetensors shards with an index.
fs::path write_hf_cache_entry(const fs::path& root, const ModelSpec& s, const fs::path& gguf) {
  const auto src = open_gguf_source(gguf);
  const fs::path entry = root / ("models--mtb--" + s.name), snap = entry / "snapshots" / "0123abc";
  fs::create_directories(snap);
  fs::create_directories(entry / "refs");
  std::ofstream(entry / "refs" / "main") << "0123abc";
  std::vector<std::string> names = {"token_embd.weight", "output_norm.weight"};
  if (!s.tied_embeddings) names.push_back("output.weight");
  for (int i = 0; i < s.layers; ++i)
    for (std::string leaf : {"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
                             "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"})
      names.push_back("blk." + std::to_string(i) + "." + leaf);
  if (s.qkv_bias)
    for (int i = 0; i < s.layers; ++i)
      for (std::string leaf : {"attn_q.bias", "attn_k.bias", "attn_v.bias"}) names.push_back("blk." + std::to_string(i) + "." + leaf);
  std::vector<HostTensor> shard[2];
  nlohmann::json weight_map = nlohmann::json::object();
  for (size_t i = 0; i < names.size(); ++i) {
    HostTensor t = src->read(names[i]);  // f32, Q/K already in Hugging Face's rotate-half order
    t.name = hf_name(names[i]);
    weight_map[t.name] = i % 2 ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
    shard[i % 2].push_back(std::move(t));
  }
  write_safetensors(snap / "model-00001-of-00002.safetensors", shard[0]);
  write_safetensors(snap / "model-00002-of-00002.safetensors", shard[1]);
  std::ofstream(snap / "model.safetensors.index.json") << nlohmann::json{{"weight_map", weight_map}}.dump();
  nlohmann::json cfg = {{"model_type", s.arch},          {"hidden_size", s.hidden},      {"num_hidden_layers", s.layers},
                        {"num_attention_heads", s.heads}, {"num_key_value_heads", s.kv_heads}, {"head_dim", s.head_dim},
                        {"intermediate_size", s.ffn},     {"vocab_size", s.vocab_size},  {"max_position_embeddings", s.context},
                        {"rms_norm_eps", s.norm_eps},     {"rope_theta", s.rope_theta},  {"tie_word_embeddings", s.tied_embeddings}};
  if (s.rope_scaling.type == "llama3")
    cfg["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", s.rope_scaling.factor},
                           {"low_freq_factor", s.rope_scaling.low_freq_factor},
                           {"high_freq_factor", s.rope_scaling.high_freq_factor},
                           {"original_max_position_embeddings", s.rope_scaling.original_context}};
  std::ofstream(snap / "config.json") << cfg.dump(2);
  return entry;
}

std::vector<float> prompt_logits(const std::string& path, const TokenRows& prompt) {
  LlmBackend* torch = find_llm_backend("torch");
  LoadRequest req;
  req.model_path = path;
  req.device = "cpu";
  req.precision = "f32";
  req.n_ctx = 64;
  req.all_logits = true;
  auto s = torch->load(req);
  s->prefill(prompt);
  return s->prefill_logits(0);
}

}  // namespace

class TorchHf : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchHf, CheckpointFolderIsTheSameModelAsItsGguf) {
  const ModelSpec& spec = *find_spec(GetParam());
  const fs::path gguf = resolve_model(spec.name, "f32", 42, nullptr).path;
  const fs::path entry = write_hf_cache_entry(fresh_test_dir(), spec, gguf);
  const TokenRows prompt = seeded_tokens(42, 2, 1, 12, read_gguf_info(gguf).ordinary_tokens);
  const auto a = prompt_logits(gguf.string(), prompt), b = prompt_logits(entry.string(), prompt);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), size_t(12) * spec.vocab_size);
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
  EXPECT_LT(worst, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Families, TorchHf, ::testing::Values("tiny", "tiny-llama"));

TEST(TorchHfErrors, MissingConfigAndBadShardAreClear) {
  const fs::path d = fresh_test_dir();
  try {
    open_tensor_source(d);
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("no config.json"), std::string::npos) << e.what();
  }
  std::ofstream(d / "config.json") << R"({"model_type":"qwen2","hidden_size":64,"num_hidden_layers":1,)"
                                      R"("num_attention_heads":4,"intermediate_size":128,"vocab_size":10})";
  std::ofstream(d / "model.safetensors") << "garbage";
  try {
    open_tensor_source(d);
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
  }
}

// config.json's counts are checked before they size anything: zero heads divided by zero (SIGFPE),
// an absurd count wrapped or became a library's error. Each is named with its range.
TEST(TorchHfErrors, ZeroAndAbsurdConfigCountsAreNamed) {
  const nlohmann::json base = {{"model_type", "qwen2"}, {"hidden_size", 64}, {"num_hidden_layers", 1},
                               {"num_attention_heads", 4}, {"intermediate_size", 128}, {"vocab_size", 10}};
  const std::pair<const char*, nlohmann::json> bad[] = {
      {"num_attention_heads", 0},          {"num_attention_heads", -4},    {"num_hidden_layers", 100000000},
      {"vocab_size", 5000000000LL},        {"hidden_size", 0},             {"num_key_value_heads", 3},
      {"head_dim", 0},                     {"intermediate_size", "big"},   {"max_position_embeddings", -1}};
  for (const auto& [key, value] : bad) {
    const fs::path d = fresh_test_dir();
    nlohmann::json cfg = base;
    cfg[key] = value;
    std::ofstream(d / "config.json") << cfg.dump();
    try {
      open_tensor_source(d);
      ADD_FAILURE() << key << " = " << value.dump();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(key), std::string::npos) << what;
      EXPECT_NE(what.find("config.json"), std::string::npos) << what;
    }
  }
}
