#include <gtest/gtest.h>

#include <fstream>

#include "core/process_memory.h"
#include "gguf.h"
#include "llm/backend.h"
#include "models/gguf_info.h"
#include "models/gguf_synth.h"
#include "models/model_store.h"
#include "test_dirs.h"

using namespace mtb;
namespace fs = std::filesystem;


fs::path write_tiny(const fs::path& dir, const std::string& name, const std::string& precision, uint64_t seed,
                    const ModelSpec& spec = *find_spec("tiny")) {
  const fs::path out = dir / name;
  write_synthetic_gguf(spec, precision, seed, vocab_dir() / ("ggml-vocab-" + spec.vocab + ".gguf"), out, nullptr);
  return out;
}

TEST(Synth, SameSeedGivesIdenticalBytes) {
  const fs::path d = fresh_test_dir();
  const auto a = write_tiny(d, "a.gguf", "bf16", 7), b = write_tiny(d, "b.gguf", "bf16", 7);
  EXPECT_EQ(slurp(a), slurp(b));
  const auto c = write_tiny(d, "c.gguf", "bf16", 8);
  EXPECT_NE(slurp(a), slurp(c));
  EXPECT_EQ(fs::file_size(a), fs::file_size(c));  // same layout, other weights
}

TEST(Synth, HeaderDescribesTheRealArchitecture) {
  const fs::path d = fresh_test_dir();
  for (const char* name : {"tiny", "tiny-qwen3", "tiny-llama", "tiny-gemma3"}) {
    const ModelSpec& s = *find_spec(name);
    const GgufInfo info = read_gguf_info(write_tiny(d, std::string(name) + ".gguf", "f32", 1, s));
    EXPECT_EQ(info.arch, s.arch) << name;
    EXPECT_EQ(info.n_ctx_train, s.context) << name;
    EXPECT_EQ(info.vocab_size, s.vocab_size) << name;
    EXPECT_EQ(info.file_type, "F32") << name;
    EXPECT_GT(info.ordinary_tokens.size(), 10000u) << name;  // a real tokenizer, not a stand-in
    EXPECT_EQ(info.data_bytes, s.n_params() * 4 + (s.rope_scaling.type == "llama3" ? s.head_dim / 2 * 4 : 0)) << name;
  }
}

TEST(Synth, PadsTheTokenizerToALargerEmbedding) {
  // Qwen2.5-7B's embedding has 152064 rows for a 151936-token vocabulary file.
  ModelSpec s = *find_spec("tiny");
  s.vocab_size = 152064;
  const fs::path d = fresh_test_dir();
  const GgufInfo padded = read_gguf_info(write_tiny(d, "p.gguf", "f16", 1, s));
  const GgufInfo plain = read_gguf_info(write_tiny(d, "q.gguf", "f16", 1));
  EXPECT_EQ(padded.vocab_size, 152064);
  EXPECT_EQ(padded.ordinary_tokens, plain.ordinary_tokens);  // padding tokens are never drawn
}

TEST(Synth, QuantizesWithLlamaCpp) {
  const fs::path d = fresh_test_dir();
  const auto base = write_tiny(d, "base.gguf", "bf16", 3);
  quantize_gguf(base, d / "q8.gguf", "q8_0", 2);
  const GgufInfo info = read_gguf_info(d / "q8.gguf");
  EXPECT_EQ(info.file_type, "Q8_0");
  EXPECT_LT(fs::file_size(d / "q8.gguf"), fs::file_size(base));
}

// q8_0 and q4_0 files are drawn directly, without a bf16 file: each must be byte for byte what
// llama.cpp's quantizer makes of the bf16 file, for every family (biases, QK-norms, RoPE factors,
// post-norms stay f32; a tied embedding 64 wide falls back to Q8_0), and for a spec wide enough
// that the untied output matrix becomes Q6_K (a Llama 2 vocabulary keeps it small).
TEST(Synth, DirectQuantizedFilesAreWhatLlamaCppMakesOfTheBf16File) {
  const fs::path d = fresh_test_dir();
  ModelSpec wide = *find_spec("tiny-llama");
  wide.name = "tiny-llama-wide-untied";
  wide.vocab = "llama-spm";
  wide.vocab_size = 32000;
  wide.hidden = 256;
  wide.head_dim = 64;
  wide.ffn = 512;
  wide.tied_embeddings = false;
  std::vector<std::pair<ModelSpec, std::vector<std::string>>> cases = {{wide, {"q8_0", "q4_0"}}};
  for (const char* name : {"tiny", "tiny-qwen3", "tiny-llama", "tiny-gemma3"}) cases.push_back({*find_spec(name), {"q4_0"}});
  for (const auto& [s, precisions] : cases) {
    const fs::path base = write_tiny(d, s.name + ".bf16.gguf", "bf16", 5, s);
    for (const std::string& p : precisions) {
      quantize_gguf(base, d / (s.name + ".quantized." + p), p, 2);
      const fs::path direct = write_tiny(d, s.name + ".direct." + p, p, 5, s);
      EXPECT_EQ(slurp(direct), slurp(d / (s.name + ".quantized." + p))) << s.name << " " << p;
    }
  }
  EXPECT_EQ(read_gguf_info(d / "tiny-llama-wide-untied.direct.q4_0").file_type, "Q4_0");
}

uint64_t fnv1a_of_file(const fs::path& p) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : slurp(p)) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Files cached by earlier versions (and every measurement made on them) stay valid only while the
// same spec, precision and seed give the same bytes. FNV-1a of the files `mtb models --path` made
// with seed 42 before synthesis was streamed (bf16 written, then llama_model_quantize'd).
TEST(Synth, BytesMatchThoseOfEarlierVersions) {
  const fs::path d = fresh_test_dir();
  struct Golden {
    const char* spec;
    const char* precision;
    uint64_t fnv1a;
  };
  for (const Golden& g : {Golden{"tiny", "bf16", 0x6029f9afd17acf0full}, Golden{"tiny", "q8_0", 0xe114e16eced79e4aull},
                          Golden{"tiny", "q4_0", 0x288f4cdfb6fc222full}, Golden{"tiny-llama", "q4_0", 0x2f3e94d3e79c7bcbull},
                          Golden{"tiny-qwen3", "q4_0", 0x554f9573f8edb634ull},
                          Golden{"tiny-gemma3", "q4_0", 0xcc3184738c9246d7ull}}) {
    const std::string name = std::string(g.spec) + "." + g.precision + ".gguf";
    EXPECT_EQ(fnv1a_of_file(write_tiny(d, name, g.precision, 42, *find_spec(g.spec))), g.fnv1a) << name;
  }
}

// Synthesis holds a block of rows per thread, never a tensor: a model whose bf16 file is 7 times
// the bound is written within it, in bf16 and directly in q4_0 (the peak grows by about 5 MiB).
// Holding its largest tensor whole (the 32000 x 1568 embedding: 201 MB in f32, 100 MB in bf16,
// 53 MB as Q8_0) would not fit.
TEST(Synth, PeakMemoryStaysFarBelowTheFile) {
#ifndef __linux__
  GTEST_SKIP() << "the peak is reset through /proc/self/clear_refs";
#endif
  ModelSpec s = *find_spec("tiny-llama");
  s.name = "tiny-llama-wide";
  s.vocab = "llama-spm";  // a small tokenizer: the header stays a few hundred KB
  s.vocab_size = 32000;
  s.hidden = 1568;  // not a multiple of 256: the tied embedding is Q8_0, quick to quantize
  s.heads = 14;
  s.head_dim = 112;
  s.ffn = 256;
  const uint64_t bound = 16ull << 20;
  const fs::path d = fresh_test_dir();
  for (const std::string p : {"bf16", "q4_0"}) {
    reset_peak_rss();
    const uint64_t before = peak_rss_bytes();
    const fs::path f = write_tiny(d, p + ".gguf", p, 1, s);
    const uint64_t growth = peak_rss_bytes() - before;
    EXPECT_LT(growth, bound) << p << ": the peak grew by " << (growth >> 20) << " MiB";
    if (p == "bf16") EXPECT_GT(fs::file_size(f), 7 * bound);
    fs::remove(f);
  }
}

TEST(GgufInfo, RejectsMissingCorruptAndTruncatedFiles) {
  const fs::path d = fresh_test_dir();
  auto message = [](const fs::path& p) {
    try {
      read_gguf_info(p);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(d / "nope.gguf").find("no such file"), std::string::npos);

  std::ofstream(d / "text.gguf") << "hello, not a model";
  EXPECT_NE(message(d / "text.gguf").find("not a GGUF file"), std::string::npos);

  const auto good = write_tiny(d, "good.gguf", "f32", 1);
  const std::string bytes = slurp(good);
  std::ofstream(d / "cut.gguf", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_NE(message(d / "cut.gguf").find("truncated"), std::string::npos) << message(d / "cut.gguf");

  std::ofstream(d / "header.gguf", std::ios::binary) << bytes.substr(0, 100);
  EXPECT_NE(message(d / "header.gguf").find("corrupt or truncated GGUF header"), std::string::npos)
      << message(d / "header.gguf");

  std::string flipped = bytes;
  flipped[8] = '\x7f';  // tensor count: absurd
  std::ofstream(d / "flipped.gguf", std::ios::binary) << flipped;
  EXPECT_NE(message(d / "flipped.gguf"), "no error");
}

// gguf's array getters abort on a key of another type (a fuzzer's finding): a scalar where the
// vocabulary or its token types belong is a message, or ignored where mtb has a fallback.
TEST(GgufInfo, AScalarWhereAnArrayBelongsIsAMessageNotAnAbort) {
  const fs::path d = fresh_test_dir();
  auto write = [&](const std::string& name, bool tokens_scalar) {
    gguf_context* ctx = gguf_init_empty();
    gguf_set_val_str(ctx, "general.architecture", "llama");
    if (tokens_scalar) {
      gguf_set_val_u32(ctx, "tokenizer.ggml.tokens", 3);
    } else {
      const char* toks[] = {"a", "b", "c"};
      gguf_set_arr_str(ctx, "tokenizer.ggml.tokens", toks, 3);
      gguf_set_val_i32(ctx, "tokenizer.ggml.token_type", 1);  // belongs as an array of int32
    }
    const fs::path p = d / name;
    EXPECT_TRUE(gguf_write_to_file(ctx, p.c_str(), /*only_meta=*/false));
    gguf_free(ctx);
    return p;
  };
  try {
    read_gguf_info(write("tokens.gguf", true));
    ADD_FAILURE() << "a scalar vocabulary was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.tokens is not a list of strings"), std::string::npos) << e.what();
  }
  const GgufInfo info = read_gguf_info(write("types.gguf", false));
  EXPECT_EQ(info.vocab_size, 3);
  EXPECT_EQ(info.ordinary_tokens.size(), 3u);  // no token types: every token counts as ordinary
}

TEST(ModelStore, UnknownNamesGetSuggestions) {
  try {
    resolve_model("qwen-2.5-05b", "bf16", 1, nullptr);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Did you mean: qwen-2.5-0.5b-it"), std::string::npos) << e.what();
  }
}

TEST(ModelStore, CachesSyntheticModels) {
  const ResolvedModel first = resolve_model("tiny-llama", "q4_0", 99, nullptr);
  const ResolvedModel again = resolve_model("tiny-llama", "q4_0", 99, nullptr);
  EXPECT_EQ(first.path, again.path);
  EXPECT_FALSE(again.created);
  EXPECT_TRUE(fs::exists(first.path));
  EXPECT_EQ(read_gguf_info(first.path).file_type, "Q4_0");
}

TEST(ModelStore, QuantizesSideBySideToTheSameBytes) {
  const fs::path d = fresh_test_dir();
  const uint64_t seed = 4242;
  std::vector<std::string> started;
  synthesize_ahead("tiny-llama", {"bf16", "q8_0", "q4_0", "q8_0"}, seed, nullptr,
                   [&](const std::vector<std::string>& p) { started = p; });
  EXPECT_EQ(started, (std::vector<std::string>{"q4_0", "q8_0"}));
  // Each file is what one quantization alone makes of the same bf16 file.
  const fs::path base = resolve_model("tiny-llama", "bf16", seed, nullptr).path;
  for (const std::string p : {"q8_0", "q4_0"}) {
    const ResolvedModel m = resolve_model("tiny-llama", p, seed, nullptr);
    EXPECT_FALSE(m.created) << p << " was made ahead";
    quantize_gguf(base, d / (p + ".gguf"), p, 2);
    EXPECT_EQ(slurp(m.path), slurp(d / (p + ".gguf"))) << p;
  }
  started.clear();
  synthesize_ahead("tiny-llama", {"q8_0", "q4_0"}, seed, nullptr, [&](const std::vector<std::string>& p) { started = p; });
  EXPECT_TRUE(started.empty()) << "cached files are not made again";
  for (const std::string p : {"bf16", "q8_0", "q4_0"}) fs::remove(resolve_model("tiny-llama", p, seed, nullptr).path);
}

// Greedy decoding of a synthetic model is deterministic: the same seed gives the same tokens
// twice; another seed gives other weights and so other tokens. `observations` receives what the
// session reports of the decode (LlmSession::take_observations).
// With `batch` sequences (distinct prompts), every sequence's tokens, one after the other.
std::vector<Token> greedy(const fs::path& model, int n, bool all_logits = false, nlohmann::json* observations = nullptr,
                          int batch = 1) {
  LlmBackend* b = find_llm_backend("llamacpp");
  LoadRequest req;
  req.model_path = model.string();
  req.device = "cpu";
  req.n_ctx = 64;
  req.batch = batch;
  req.all_logits = all_logits;
  auto s = b->load(req);
  const GgufInfo info = read_gguf_info(model);
  std::vector<Token> out = s->prefill(seeded_tokens(5, 2, batch, 16, info.ordinary_tokens));
  std::vector<std::vector<Token>> seqs(batch);
  for (int k = 0; k < batch; ++k) seqs[k].push_back(out[k]);
  for (int i = 0; i < n; ++i) {
    out = s->step(out);
    for (int k = 0; k < batch; ++k) seqs[k].push_back(out[k]);
  }
  if (observations) *observations = s->take_observations();
  std::vector<Token> all;
  for (const auto& q : seqs) all.insert(all.end(), q.begin(), q.end());
  return all;
}

TEST(Synth, GreedyTokensDependOnlyOnTheSeed) {
  const fs::path d = fresh_test_dir();
  const auto a = greedy(write_tiny(d, "a.gguf", "f32", 11), 12);
  const auto a2 = greedy(write_tiny(d, "a2.gguf", "f32", 11), 12);
  const auto b = greedy(write_tiny(d, "b.gguf", "f32", 12), 12);
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, b);
}

// The backend sampler chooses in llama.cpp's graph what the host argmax over the read-back logits
// chooses, for one sequence and for several in one argmax (llamacpp/batch_greedy_sampler), and
// only the tokens cross back: no logits at all.
TEST(Synth, BackendGreedyChoiceIsTheHostsAndBringsBackNoLogits) {
  setenv("MTB_LLAMACPP_BACKEND_SAMPLING", "1", 1);  // on the CPU the choice is the host's unless asked
  const fs::path d = fresh_test_dir();
  const fs::path m = write_tiny(d, "a.gguf", "f32", 11);
  for (int batch : {1, 3}) {
    nlohmann::json seen;
    const auto on_device = greedy(m, 12, false, &seen, batch);
    EXPECT_EQ(on_device, greedy(m, 12, true, nullptr, batch)) << "batch " << batch;
    EXPECT_EQ(seen.value("sampled_logits_read_back", -1), 0) << seen.dump();
  }
  // The sequences' prompts differ, so a sampler reading another row's argmax would show.
  const auto three = greedy(m, 12, false, nullptr, 3);
  EXPECT_NE(std::vector<Token>(three.begin(), three.begin() + 13), std::vector<Token>(three.begin() + 13, three.begin() + 26));
  unsetenv("MTB_LLAMACPP_BACKEND_SAMPLING");
}
