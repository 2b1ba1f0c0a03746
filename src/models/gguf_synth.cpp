// The streaming writer: every block of rows of every tensor is drawn from the seed, converted or
// quantized and written at its own offset by whichever thread takes it. Nothing larger than a block
// (about 64K values) is ever held, so a 72B model takes the memory of a 0.5B one, and a q4_0 file
// needs no bf16 file first.
#include "models/gguf_synth.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/rng.h"
#include "ggml.h"
#include "gguf.h"
#include "models/synth_header.h"
#include "models/synth_layout.h"
#include "models/synth_plan.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Values per independent random stream: a tensor's values do not depend on how it is split up.
constexpr int64_t kChunk = 1 << 16;
constexpr uint64_t kSplitMixStep = 0x9e3779b97f4a7c15ull;  // what SplitMix64 adds to its state per draw

// Values [first, first + count) of a randomly drawn tensor, from the streams of the chunks they
// fall in. A stream's k-th value is reached by stepping its state k times at once.
void draw_values(const TensorPlan& tp, const ModelSpec& s, uint64_t seed, int64_t first, int64_t count, float* dst) {
  const uint64_t tensor_seed = mix_seed(seed, fnv1a(tp.name));
  const float std = static_cast<float>(s.init_std);
  for (int64_t i = first, end = first + count; i < end;) {
    const int64_t c = i / kChunk, skip = i - c * kChunk, n = std::min(kChunk - skip, end - i);
    SplitMix64 rng(mix_seed(tensor_seed, static_cast<uint64_t>(c)));
    rng.state += static_cast<uint64_t>(skip) * kSplitMixStep;
    for (int64_t j = 0; j < n; ++j) dst[i - first + j] = std * irwin_hall_normal(rng.next());
    i += n;
  }
}

void tensor_values(const TensorPlan& tp, const ModelSpec& s, uint64_t seed, int64_t first, int64_t count, float* dst) {
  if (tp.fill == Fill::normal) return draw_values(tp, s, seed, first, count, dst);
  if (tp.fill == Fill::ones) return std::fill(dst, dst + count, 1.0f);
  const std::vector<float> f = llama3_rope_factors(s.rope_scaling, s.rope_theta, s.head_dim);  // head_dim / 2 values
  std::copy(f.begin() + first, f.begin() + first + count, dst);
}

struct OwnedFd {  // closes the file on every way out
  int fd;
  ~OwnedFd() { ::close(fd); }
};
struct GgmlFree {
  void operator()(ggml_context* c) const { ggml_free(c); }
};

// Writes all n bytes at `offset` (pwrite may write fewer).
void put(int fd, const void* data, size_t n, uint64_t offset, const fs::path& p) {
  const auto* b = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, b, n, off_t(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw std::runtime_error(fmt::format("cannot write {}: {}", p.string(), w < 0 ? strerror(errno) : "no space written"));
    b += w;
    n -= size_t(w);
    offset += uint64_t(w);
  }
}

// A tensor of the file, cut into blocks of whole rows (quantization works a row at a time).
struct SlotBlocks {
  TensorSlot slot;
  int64_t rows_per_block = 1;
  uint64_t first_block = 0;  // blocks of the slots before this one
  uint64_t offset = 0;       // in the file
};

}  // namespace

bool synthesizes_directly(const std::string& precision) {
  return is_float_precision(precision) || precision == "q8_0" || precision == "q4_0";
}

void write_synthetic_gguf(const ModelSpec& spec, const std::string& precision, uint64_t seed, const fs::path& vocab_gguf,
                          const fs::path& out, const ProgressFn& progress) {
  if (!synthesizes_directly(precision))
    throw std::invalid_argument("write_synthetic_gguf: precision " + precision + " is made by quantize_gguf from the bf16 file");
  const std::vector<TensorPlan> plan = tensor_plan(spec);
  const std::vector<TensorSlot> slots = synth_layout(spec, plan, precision);

  // Tensor descriptions only (no_alloc): the data is streamed after the header.
  ggml_init_params ip{ggml_tensor_overhead() * (slots.size() + 1), nullptr, true};
  std::unique_ptr<ggml_context, GgmlFree> meta(ggml_init(ip));
  GgufPtr ctx = synth_header(spec, precision, vocab_gguf);
  for (const TensorSlot& s : slots) {
    const TensorPlan& tp = plan[s.plan];
    ggml_tensor* t = tp.ne.size() == 1 ? ggml_new_tensor_1d(meta.get(), s.type, tp.ne[0])
                                       : ggml_new_tensor_2d(meta.get(), s.type, tp.ne[0], tp.ne[1]);
    ggml_set_name(t, tp.name.c_str());
    gguf_add_tensor(ctx.get(), t);
  }

  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}: {}", out.string(), strerror(errno)));
  const OwnedFd owned{fd};
  std::vector<uint8_t> header(gguf_get_meta_size(ctx.get()));
  gguf_get_meta_data(ctx.get(), header.data());
  // The file at its final length first: the padding between tensors reads as the zeros it must be.
  const size_t align = gguf_get_alignment(ctx.get());
  const int64_t last = int64_t(slots.size()) - 1;
  const uint64_t last_end = gguf_get_tensor_offset(ctx.get(), last) + gguf_get_tensor_size(ctx.get(), last);
  const uint64_t total = (last_end + align - 1) / align * align;
  if (::ftruncate(fd, off_t(header.size() + total)) != 0)
    throw std::runtime_error(fmt::format("cannot write {}: {}", out.string(), strerror(errno)));
  put(fd, header.data(), header.size(), 0, out);

  std::vector<SlotBlocks> blocks;
  uint64_t n_blocks = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    const TensorPlan& tp = plan[slots[i].plan];
    const int64_t per = std::max<int64_t>(1, kChunk / tp.ne[0]);
    blocks.push_back({slots[i], per, n_blocks, header.size() + gguf_get_tensor_offset(ctx.get(), int64_t(i))});
    n_blocks += uint64_t((tp.rows() + per - 1) / per);
  }

  std::atomic<uint64_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mutex;
  auto work = [&](bool reports) {
    std::vector<float> values;
    std::vector<ggml_bf16_t> rounded;
    std::vector<uint8_t> bytes;
    try {
      for (uint64_t k = next++; k < n_blocks && !failed; k = next++) {
        const SlotBlocks& b = *(std::upper_bound(blocks.begin(), blocks.end(), k,
                                                 [](uint64_t v, const SlotBlocks& s) { return v < s.first_block; }) - 1);
        const TensorPlan& tp = plan[b.slot.plan];
        const int64_t ne0 = tp.ne[0], row0 = int64_t(k - b.first_block) * b.rows_per_block;
        const int64_t rows = std::min(b.rows_per_block, tp.rows() - row0), n = rows * ne0;
        values.resize(size_t(n));
        tensor_values(tp, spec, seed, row0 * ne0, n, values.data());
        if (b.slot.through_bf16) {  // what the quantizer reads back from the bf16 file
          rounded.resize(size_t(n));
          ggml_fp32_to_bf16_row_ref(values.data(), rounded.data(), n);
          ggml_bf16_to_fp32_row(rounded.data(), values.data(), n);
        }
        const size_t row_size = ggml_row_size(b.slot.type, ne0);
        bytes.resize(row_size * size_t(rows));
        ggml_quantize_chunk(b.slot.type, values.data(), bytes.data(), 0, rows, ne0, nullptr);  // f32, f16, bf16 too
        put(fd, bytes.data(), bytes.size(), b.offset + uint64_t(row0) * row_size, out);
        const uint64_t now = done += bytes.size();
        if (reports && progress && k % 256 == 0) progress(now, total);
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!failed.exchange(true)) error = e.what();
    }
  };
  const unsigned n_threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n_threads; ++t) pool.emplace_back(work, false);
  work(true);  // this thread reports progress: the callback is called from one thread only
  for (auto& th : pool) th.join();
  if (failed) throw std::runtime_error(error);
  if (progress) progress(total, total);
}

}  // namespace mtb
