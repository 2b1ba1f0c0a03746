#include "quality/reference_log_probs.h"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>

namespace mtb {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[8] = {'M', 'T', 'B', 'Q', 'R', 'E', 'F', '1'};
constexpr size_t kHashLen = 16;
constexpr uint64_t kHeaderBytes = sizeof(kMagic) + 4 * sizeof(uint32_t) + kHashLen;

}  // namespace

uint64_t ReferenceHeader::bytes() const {
  return kHeaderBytes + uint64_t(n_windows) * n_scored * n_vocab * sizeof(float);
}

ReferenceWriter::ReferenceWriter(fs::path path, const ReferenceHeader& h)
    : path_(std::move(path)), partial_(path_.string() + ".partial"), h_(h) {
  if (h.tokens_hash.size() != kHashLen) throw std::invalid_argument("reference header: tokens hash must be 16 hex digits");
  out_.open(partial_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error(fmt::format("cannot write {}", partial_.string()));
  out_.write(kMagic, sizeof(kMagic));
  for (uint32_t v : {h.n_vocab, h.n_ctx, h.n_scored, h.n_windows}) out_.write(reinterpret_cast<const char*>(&v), sizeof(v));
  out_.write(h.tokens_hash.data(), kHashLen);
}

void ReferenceWriter::add_window(std::span<const float> lp) {
  if (lp.size() != size_t(h_.n_scored) * h_.n_vocab) throw std::logic_error("reference window of the wrong size");
  out_.write(reinterpret_cast<const char*>(lp.data()), std::streamsize(lp.size_bytes()));
  if (!out_) throw std::runtime_error(fmt::format("writing {} failed (disk full?)", partial_.string()));
  ++written_;
}

void ReferenceWriter::close() {
  if (written_ != h_.n_windows)
    throw std::logic_error(fmt::format("reference file closed after {} of {} windows", written_, h_.n_windows));
  out_.flush();
  out_.close();
  if (!out_) throw std::runtime_error(fmt::format("writing {} failed (disk full?)", partial_.string()));
  fs::rename(partial_, path_);
}

ReferenceReader::ReferenceReader(const fs::path& path) : path_(path) {
  in_.open(path, std::ios::binary);
  if (!in_) throw std::runtime_error(fmt::format("cannot read the reference's log-probabilities {}", path.string()));
  char magic[sizeof(kMagic)] = {};
  in_.read(magic, sizeof(magic));
  uint32_t v[4] = {};
  in_.read(reinterpret_cast<char*>(v), sizeof(v));
  std::string hash(kHashLen, '\0');
  in_.read(hash.data(), kHashLen);
  if (!in_ || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0)
    throw std::runtime_error(fmt::format("{} is not a reference file of mtb quality", path.string()));
  h_ = {v[0], v[1], v[2], v[3], hash};
  data_offset_ = kHeaderBytes;
  if (h_.n_vocab == 0 || h_.n_scored == 0 || fs::file_size(path) != h_.bytes())
    throw std::runtime_error(fmt::format("{} is truncated or damaged: {} bytes where its header says {}", path.string(),
                                         fs::file_size(path), h_.bytes()));
}

std::span<const float> ReferenceReader::window(uint32_t w) {
  if (w >= h_.n_windows) throw std::out_of_range("reference window index");
  const size_t n = size_t(h_.n_scored) * h_.n_vocab;
  buf_.resize(n);
  in_.seekg(std::streamoff(data_offset_ + uint64_t(w) * n * sizeof(float)));
  in_.read(reinterpret_cast<char*>(buf_.data()), std::streamsize(n * sizeof(float)));
  if (!in_) throw std::runtime_error(fmt::format("reading window {} of {} failed", w, path_.string()));
  return buf_;
}

}  // namespace mtb
