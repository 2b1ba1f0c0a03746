// The reference's log-probabilities, computed once per run by the reference case and read by every
// candidate a window at a time, so each case keeps its own worker and the memory of a case is one
// window whatever the number of windows.
//
// File: a header (magic, vocabulary size, window length, scored positions per window, windows, the
// evaluation tokens' hash), then per window its scored positions' log-probabilities, float32
// [positions x vocabulary]. Stored exactly (llama-perplexity rounds to 16 bits): 4 bytes per
// vocabulary entry and scored token, 594 KiB per token for a 152k vocabulary. Written under a
// temporary name and renamed once whole, so a file with the final name is always complete.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

namespace mtb {

struct ReferenceHeader {
  uint32_t n_vocab = 0, n_ctx = 0, n_scored = 0, n_windows = 0;  // n_scored: per window
  std::string tokens_hash;                                       // 16 hex digits
  uint64_t bytes() const;                                        // the whole file
};

class ReferenceWriter {
 public:
  ReferenceWriter(std::filesystem::path path, const ReferenceHeader& h);
  void add_window(std::span<const float> log_probs);  // n_scored x n_vocab
  void close();  // flushes, checks every window came, renames into place

 private:
  std::filesystem::path path_, partial_;
  ReferenceHeader h_;
  std::ofstream out_;
  uint32_t written_ = 0;
};

class ReferenceReader {
 public:
  // Throws naming the file when it is missing, not a reference file, or shorter than its header says.
  explicit ReferenceReader(const std::filesystem::path& path);
  const ReferenceHeader& header() const { return h_; }
  // Window w's log-probabilities, n_scored x n_vocab, read into a buffer reused between calls.
  std::span<const float> window(uint32_t w);

 private:
  std::filesystem::path path_;
  ReferenceHeader h_;
  std::ifstream in_;
  uint64_t data_offset_ = 0;
  std::vector<float> buf_;
};

}  // namespace mtb
