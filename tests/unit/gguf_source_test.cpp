// The GGUF tensor source: quantized tensors dequantized on several threads are bit-identical to
// ggml's single-call to_float; float tensors are views that outlive the source; a tensor that ends
// past the end of a truncated file is an error naming it.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "gguf.h"
#include "models/dequantize.h"
#include "models/gguf_synth.h"
#include "models/model_store.h"
#include "models/tensor_source.h"
#include "models/zoo.h"
#include "test_dirs.h"

using namespace mtb;
namespace fs = std::filesystem;

namespace {

fs::path write_tiny(const fs::path& dir, const std::string& precision) {
  const ModelSpec& spec = *find_spec("tiny");
  const fs::path out = dir / ("tiny." + precision + ".gguf");
  write_synthetic_gguf(spec, precision, 5, vocab_dir() / ("ggml-vocab-" + spec.vocab + ".gguf"), out, nullptr);
  return out;
}

struct GgufFree {
  void operator()(gguf_context* c) const { gguf_free(c); }
};
using GgufPtr = std::unique_ptr<gguf_context, GgufFree>;

GgufPtr open_meta(const fs::path& p) { return GgufPtr(gguf_init_from_file(p.c_str(), {true, nullptr})); }

// A tensor's stored bytes, read the plain way.
std::vector<uint8_t> stored_bytes(const fs::path& p, const gguf_context* g, int64_t id) {
  std::vector<uint8_t> raw(gguf_get_tensor_size(g, id));
  std::ifstream in(p, std::ios::binary);
  in.seekg(std::streamoff(gguf_get_data_offset(g) + gguf_get_tensor_offset(g, id)));
  in.read(reinterpret_cast<char*>(raw.data()), std::streamsize(raw.size()));
  return raw;
}

}  // namespace

TEST(Dequantize, AnyThreadCountGivesTheSingleCallResult) {
  const int64_t rows = 509, row_len = 4096;  // a prime row count: uneven splits, up to 7 threads
  std::vector<float> values(size_t(rows * row_len));
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0, 1);
  for (auto& v : values) v = normal(rng);
  for (ggml_type type : {GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_K, GGML_TYPE_Q6_K}) {
    std::vector<uint8_t> q(ggml_row_size(type, row_len) * size_t(rows));
    ggml_quantize_chunk(type, values.data(), q.data(), 0, rows, row_len, nullptr);
    std::vector<float> reference(values.size()), got(values.size());
    ggml_get_type_traits(type)->to_float(q.data(), reference.data(), rows * row_len);
    for (unsigned threads : {1u, 2u, 3u, 7u, 0u}) {
      std::fill(got.begin(), got.end(), -1.0f);
      dequantize_rows(type, q.data(), got.data(), rows, row_len, threads);
      EXPECT_EQ(std::memcmp(got.data(), reference.data(), got.size() * sizeof(float)), 0)
          << ggml_type_name(type) << " on " << threads << " threads";
    }
  }
}

TEST(GgufSource, QuantizedTensorsEqualTheReferenceDequantization) {
  const fs::path d = fresh_test_dir();
  const fs::path q8 = d / "tiny.q8_0.gguf";
  quantize_gguf(write_tiny(d, "bf16"), q8, "q8_0", 2);
  const auto g = open_meta(q8);
  const auto src = open_gguf_source(q8);
  int checked = 0;
  for (const char* name : {"token_embd.weight", "blk.0.ffn_down.weight"}) {
    const int64_t id = gguf_find_tensor(g.get(), name);
    ASSERT_GE(id, 0) << name;
    const ggml_type type = gguf_get_tensor_type(g.get(), id);
    ASSERT_EQ(type, GGML_TYPE_Q8_0) << name;
    const HostTensor t = src->read(name);
    ASSERT_EQ(t.dtype, HostDType::f32);
    ASSERT_EQ(t.nbytes, size_t(t.numel()) * 4);
    std::vector<float> reference(size_t(t.numel()));
    ggml_get_type_traits(type)->to_float(stored_bytes(q8, g.get(), id).data(), reference.data(), t.numel());
    EXPECT_EQ(std::memcmp(t.data.get(), reference.data(), t.nbytes), 0) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(GgufSource, FloatTensorsAreViewsThatOutliveTheSource) {
  const fs::path f = write_tiny(fresh_test_dir(), "bf16");
  const auto g = open_meta(f);
  const int64_t id = gguf_find_tensor(g.get(), "token_embd.weight");
  HostTensor t = open_gguf_source(f)->read("token_embd.weight");  // the source is gone after this line
  EXPECT_EQ(t.dtype, HostDType::bf16);
  const auto raw = stored_bytes(f, g.get(), id);
  ASSERT_EQ(t.nbytes, raw.size());
  EXPECT_EQ(std::memcmp(t.data.get(), raw.data(), raw.size()), 0);
}

TEST(GgufSource, ATensorPastTheEndOfATruncatedFileIsNamed) {
  const fs::path d = fresh_test_dir();
  const fs::path good = write_tiny(d, "f32"), cut = d / "cut.gguf";
  const auto g = open_meta(good);
  int64_t last = 0;  // the tensor whose data ends last
  for (int64_t i = 0; i < gguf_get_n_tensors(g.get()); ++i)
    if (gguf_get_tensor_offset(g.get(), i) > gguf_get_tensor_offset(g.get(), last)) last = i;
  const std::string bytes = slurp(good);
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 64);
  const auto src = open_gguf_source(cut);  // the header is whole: only the data is short
  const std::string name = gguf_get_tensor_name(g.get(), last);
  try {
    src->read(name);
    FAIL() << "a tensor past the end of the file was read";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("tensor " + name + " ends at byte"), std::string::npos) << msg;
    EXPECT_NE(msg.find("past the end of the file (" + std::to_string(bytes.size() - 64) + " bytes)"), std::string::npos) << msg;
  }
}
