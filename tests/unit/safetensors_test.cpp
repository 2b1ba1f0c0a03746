// The safetensors reader: valid files read back; each kind of corruption is a SafetensorsError that
// says what is wrong; random mutations of a valid file never crash it (a bounded fuzz loop).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>

#include "models/safetensors.h"
#include "test_dirs.h"

using namespace mtb;
namespace fs = std::filesystem;

namespace {

// A file from a header string and a data section (the header length is written as given, or as
// the header's real size).
std::vector<uint8_t> make_file(const std::string& header, size_t data_bytes, int64_t header_len = -1) {
  const uint64_t n = header_len < 0 ? header.size() : uint64_t(header_len);
  std::vector<uint8_t> f(8);
  for (int i = 0; i < 8; ++i) f[i] = uint8_t(n >> (8 * i));
  f.insert(f.end(), header.begin(), header.end());
  for (size_t i = 0; i < data_bytes; ++i) f.push_back(uint8_t(i));
  return f;
}

const std::string kValid =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
    R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}})";

std::string error_of(const std::vector<uint8_t>& f) {
  try {
    parse_safetensors_header(f, f.size(), "t.safetensors");
  } catch (const SafetensorsError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Safetensors, ValidFileReadsBack) {
  const fs::path p = fresh_test_dir() / "ok.safetensors";
  const auto bytes = make_file(kValid, 32);
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  SafetensorsFile f(p);
  ASSERT_EQ(f.header().tensors.size(), 2u);
  EXPECT_EQ(f.header().metadata.at("format"), "pt");
  const auto* a = f.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  const auto data = f.read(*f.find("b"));  // 8 bytes
  EXPECT_EQ(data.get()[0], 24);  // the data section's byte 24
  EXPECT_EQ(data.get()[7], 31);
  EXPECT_EQ(f.find("c"), nullptr);
}

TEST(Safetensors, EachCorruptionHasItsOwnClearError) {
  EXPECT_NE(error_of({1, 2, 3}).find("too short"), std::string::npos);
  EXPECT_NE(error_of(make_file(kValid, 32, 1 << 20)).find("runs past the end of the file"), std::string::npos);
  EXPECT_NE(error_of(make_file(kValid, 32, int64_t(1) << 40)).find("exceeds"), std::string::npos);
  EXPECT_NE(error_of(make_file(kValid, 32, 0)).find("header length is 0"), std::string::npos);
  EXPECT_NE(error_of(make_file("{\"a\":", 0)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(make_file("[1,2]", 0)).find("not a JSON object"), std::string::npos);

  const std::string past = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  const std::string e_past = error_of(make_file(past, 8));
  EXPECT_NE(e_past.find("tensor a"), std::string::npos) << e_past;
  EXPECT_NE(e_past.find("past the end of the data (8 bytes)"), std::string::npos) << e_past;

  const std::string dtype = R"({"a":{"dtype":"FLOAT32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_NE(error_of(make_file(dtype, 8)).find("tensor a: unknown dtype \"FLOAT32\""), std::string::npos);

  const std::string overlap = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
  const std::string e_overlap = error_of(make_file(overlap, 16));
  EXPECT_NE(e_overlap.find("tensors a [0, 16] and b [8, 16] overlap"), std::string::npos) << e_overlap;

  const std::string size = R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
  EXPECT_NE(error_of(make_file(size, 8)).find("needs 12 bytes"), std::string::npos);
  const std::string reversed = R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})";
  EXPECT_NE(error_of(make_file(reversed, 8)).find("end before they begin"), std::string::npos);
  const std::string negative = R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})";
  EXPECT_NE(error_of(make_file(negative, 8)).find("non-negative"), std::string::npos);
  const std::string huge = R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})";
  EXPECT_NE(error_of(make_file(huge, 8)).find("overflows"), std::string::npos);
  EXPECT_EQ(error_of(make_file(kValid, 32)), "");
}

TEST(Safetensors, FileErrorsNameTheFile) {
  const fs::path p = fresh_test_dir() / "bad.safetensors";
  const auto bytes = make_file(kValid, 8);  // tensor b runs past the data
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  try {
    SafetensorsFile f(p);
    FAIL() << "a truncated file was accepted";
  } catch (const SafetensorsError& e) {
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
}

// The fuzz target: mutations of a valid file (bytes flipped, inserted, removed, the length field
// rewritten) either parse into entries that lie inside the file or raise SafetensorsError, never
// anything else. Bounded by time so CI pays a fixed price (MTB_FUZZ_SECONDS overrides the 2 s).
TEST(Safetensors, FuzzMutationsNeverCrash) {
  const double seconds = std::getenv("MTB_FUZZ_SECONDS") ? std::atof(std::getenv("MTB_FUZZ_SECONDS")) : 2.0;
  const auto seed = make_file(kValid, 32);
  std::mt19937_64 rng(1234);
  const auto t0 = std::chrono::steady_clock::now();
  long runs = 0, accepted = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
    std::vector<uint8_t> f = seed;
    const int n_mut = 1 + int(rng() % 4);
    for (int m = 0; m < n_mut; ++m) {
      const size_t at = f.empty() ? 0 : rng() % f.size();
      switch (rng() % 5) {
        case 0: if (!f.empty()) f[at] = uint8_t(rng()); break;
        case 1: f.insert(f.begin() + long(at), uint8_t("{}[]\",:0123456789-e"[rng() % 19])); break;
        case 2: if (!f.empty()) f.erase(f.begin() + long(at)); break;
        case 3: if (f.size() >= 8) f[rng() % 8] = uint8_t(rng()); break;  // the length field
        case 4: f.resize(rng() % (f.size() + 1)); break;                  // truncation
      }
    }
    ++runs;
    try {
      const SafetensorsHeader h = parse_safetensors_header(f, f.size(), "fuzz");
      ++accepted;
      for (const auto& e : h.tensors) ASSERT_LE(h.data_start + e.end, f.size()) << e.name;
    } catch (const SafetensorsError&) {
    }
  }
  EXPECT_GT(runs, 1000);
  EXPECT_GT(accepted, 0);  // some mutations (in the data section) leave a valid file
}
