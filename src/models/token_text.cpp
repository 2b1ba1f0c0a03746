#include "models/token_text.h"

#include <fmt/format.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <vector>

#include "gguf.h"

namespace mtb {
namespace {

struct GgufFree {
  void operator()(gguf_context* c) const { gguf_free(c); }
};

// GPT-2's byte-level BPE writes byte b as a printable code point: itself for the printable Latin-1
// bytes, 256 + n (n counting the others in order) for the rest. This is its inverse.
std::array<int, 512> gpt2_code_point_to_byte() {
  std::array<int, 512> inv;
  inv.fill(-1);
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    inv[printable ? b : 256 + n++] = b;
  }
  return inv;
}

// Code points of a UTF-8 string (the vocabulary's pieces are valid UTF-8).
std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    uint32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string decode_gpt2(const std::string& piece) {
  static const auto inv = gpt2_code_point_to_byte();
  std::string out;
  for (uint32_t cp : code_points(piece)) {
    if (cp >= inv.size() || inv[cp] < 0) return piece;  // an added token, stored as plain text
    out += static_cast<char>(inv[cp]);
  }
  return out;
}

// SentencePiece: "▁" is a space, "<0xAB>" a raw byte.
std::string decode_spm(const std::string& piece) {
  if (piece.size() == 6 && piece.starts_with("<0x") && piece.back() == '>')
    return std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
  std::string out;
  const std::string space = "\xE2\x96\x81";
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, space.size(), space) == 0) {
      out += ' ';
      i += space.size();
    } else {
      out += piece[i++];
    }
  }
  return out;
}

}  // namespace

TokenText::TokenText(const std::filesystem::path& gguf) : path_(gguf.string()) {
  gguf_init_params p{true, nullptr};
  std::unique_ptr<gguf_context, GgufFree> ctx(gguf_init_from_file(gguf.c_str(), p));
  if (!ctx) throw std::runtime_error(fmt::format("model file {}: cannot read its GGUF header", path_));
  const int64_t model_id = gguf_find_key(ctx.get(), "tokenizer.ggml.model");
  const int64_t tokens_id = gguf_find_key(ctx.get(), "tokenizer.ggml.tokens");
  if (model_id < 0 || tokens_id < 0)
    throw std::runtime_error(fmt::format("model file {}: has no tokenizer to turn the prompt into text", path_));
  const std::string kind = gguf_get_val_str(ctx.get(), model_id);
  if (kind != "gpt2" && kind != "llama")
    throw std::runtime_error(fmt::format("model file {}: tokenizer '{}' cannot be decoded to text here; send token ids "
                                         "(--server-prompt tokens) to a server that takes them", path_, kind));
  const size_t n = gguf_get_arr_n(ctx.get(), tokens_id);
  pieces_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string piece = gguf_get_arr_str(ctx.get(), tokens_id, i);
    pieces_.push_back(kind == "gpt2" ? decode_gpt2(piece) : decode_spm(piece));
  }
}

std::string TokenText::decode(std::span<const Token> ids) const {
  std::string text;
  for (Token t : ids) {
    if (t < 0 || static_cast<size_t>(t) >= pieces_.size())
      throw std::runtime_error(fmt::format("token id {} is outside the vocabulary of {}", t, path_));
    text += pieces_[static_cast<size_t>(t)];
  }
  return text;
}

}  // namespace mtb
