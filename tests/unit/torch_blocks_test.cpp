// q8_0 / q4_0 blocks decoded with torch ops (how the torch backend loads a quantized GGUF onto its
// device) equal ggml's host dequantization bit for bit, for every weight of the tiny models,
// Q/K rows of the llama family's pairwise-RoPE layout included; on the CPU, and on the GPU where
// there is one.
#include <gtest/gtest.h>

#include <cstring>

#include "backends/torch/torch_blocks.h"
#include "models/gguf_synth.h"
#include "models/model_store.h"
#include "models/tensor_source.h"
#include "models/zoo.h"
#include "test_dirs.h"

using namespace mtb;
namespace fs = std::filesystem;

namespace {

// The CPU, and the GPU where this torch has one (the GPU script's run checks the decode there).
std::vector<at::Device> devices() {
  std::vector<at::Device> d{at::kCPU};
  if (at::hasCUDA()) d.emplace_back(at::kCUDA);
  return d;
}

class TorchBlocks : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(TorchBlocks, DecodeOnTheDeviceEqualsTheHostDequantization) {
  const auto& [model, precision] = GetParam();
  const ModelSpec& spec = *find_spec(model);
  const fs::path d = fresh_test_dir(), base = d / "base.gguf", file = d / ("m." + precision + ".gguf");
  write_synthetic_gguf(spec, "bf16", 5, vocab_dir() / ("ggml-vocab-" + spec.vocab + ".gguf"), base, nullptr);
  quantize_gguf(base, file, precision, 2);
  const auto src = open_gguf_source(file);
  int decoded = 0, decoded_as_file = 0;
  for (const std::string name : {"token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_down.weight",
                                 "blk.1.ffn_gate.weight"}) {
    const HostTensor blocks = src->read_blocks(name), reference = src->read(name);
    ASSERT_EQ(reference.dtype, HostDType::f32) << name;
    // llama.cpp keeps some tensors at higher precision (a q4_0 file's token_embd is q8_0)
    if (!is_blocks(blocks.dtype)) continue;
    decoded_as_file += dtype_name(blocks.dtype) == precision;
    ASSERT_EQ(blocks.shape, reference.shape) << name;
    const int64_t cols = blocks.shape.back(), rows = blocks.numel() / cols;
    const at::Tensor bytes = at::from_blob(const_cast<uint8_t*>(blocks.data.get()), {rows, int64_t(blocks.nbytes) / rows},
                                           at::TensorOptions().dtype(at::kByte));
    for (const at::Device dev : devices()) {
      const at::Tensor got = torch_backend::decode_blocks(bytes.to(dev), blocks.dtype, cols).cpu().contiguous();
      ASSERT_EQ(got.scalar_type(), at::kFloat);
      ASSERT_EQ(size_t(got.numel()) * 4, reference.nbytes) << name;
      EXPECT_EQ(std::memcmp(got.data_ptr(), reference.data.get(), reference.nbytes), 0) << name << " " << precision << " on " << dev;
    }
    ++decoded;
  }
  EXPECT_EQ(decoded, 5) << "a tensor came back decoded, not as blocks";
  EXPECT_GE(decoded_as_file, 4) << "too few tensors stored as " << precision;
}

INSTANTIATE_TEST_SUITE_P(Families, TorchBlocks,
                         ::testing::Combine(::testing::Values("tiny", "tiny-llama"), ::testing::Values("q8_0", "q4_0")),
                         [](const auto& info) {
                           std::string s = std::get<0>(info.param) + "_" + std::get<1>(info.param);
                           for (char& c : s) c = c == '-' ? '_' : c;
                           return s;
                         });

TEST(TorchBlocksErrors, ARowOfTheWrongLengthIsRefused) {
  const at::Tensor bytes = at::zeros({2, 35}, at::TensorOptions().dtype(at::kByte));
  EXPECT_THROW(torch_backend::decode_blocks(bytes, HostDType::q8_0, 32), std::invalid_argument);
  EXPECT_THROW(torch_backend::decode_blocks(bytes, HostDType::bf16, 32), std::invalid_argument);
}

}  // namespace
