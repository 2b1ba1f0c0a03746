// The caches mtb reuses across runs are never trusted blindly: a synthesized model is checked
// against the size and checksum recorded at synthesis, temporaries of killed syntheses are removed,
// and a damaged calibration file is found out, never used, and replaced when measured again.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/calibration.h"
#include "core/file_checksum.h"
#include "core/swap_activity.h"
#include "models/cache_integrity.h"
#include "test_dirs.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

uint64_t checksum_of(std::string_view s) {
  Checksum64 c;
  c.update(s);
  return c.digest();
}

void write(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

}  // namespace

// xxHash64's published values, and the same digest however the bytes arrive.
TEST(CacheIntegrity, ChecksumIsXxHash64InAnyPieces) {
  EXPECT_EQ(checksum_of(""), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(checksum_of("a"), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(checksum_of("abc"), 0x44BC2CF5AD770999ull);
  std::string big(100'003, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char(i * 131 + (i >> 7));
  for (size_t piece : {1, 7, 31, 32, 33, 4096}) {
    Checksum64 c;
    for (size_t at = 0; at < big.size(); at += piece) c.update(std::string_view(big).substr(at, piece));
    EXPECT_EQ(c.digest(), checksum_of(big)) << piece;
  }
  const uint64_t before = checksum_of(big);
  big[50'000] ^= 1;  // one bit
  EXPECT_NE(checksum_of(big), before);
}

TEST(CacheIntegrity, ATruncatedOrDamagedFileIsFoundOut) {
  const fs::path d = fresh_test_dir();
  const std::string bytes(300'000, 'w');
  write(d / "m.gguf.tmp1", bytes);
  record_integrity(d / "m.gguf.tmp1", d / "m.gguf");
  fs::rename(d / "m.gguf.tmp1", d / "m.gguf");
  EXPECT_EQ(integrity_problem(d / "m.gguf"), "");

  write(d / "cut.gguf", bytes);
  record_integrity(d / "cut.gguf", d / "cut.gguf");
  fs::resize_file(d / "cut.gguf", 1000);
  EXPECT_EQ(integrity_problem(d / "cut.gguf"), "it is 1000 bytes, 300000 when it was synthesized (truncated or overwritten)");

  write(d / "bad.gguf", bytes);
  record_integrity(d / "bad.gguf", d / "bad.gguf");
  {
    std::fstream f(d / "bad.gguf", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(150'000);
    f.put('x');
  }
  // A write moves the modification time on, but maybe not past the clock tick of the record:
  // moved on here as a later write would, so the checksum (not the time alone) finds the damage.
  fs::last_write_time(d / "bad.gguf", fs::last_write_time(d / "bad.gguf") + std::chrono::seconds(1));
  EXPECT_NE(integrity_problem(d / "bad.gguf").find("the file is damaged"), std::string::npos);

  // A file cached before checksums: recorded as it is, then held to it.
  write(d / "old.gguf", bytes);
  EXPECT_EQ(integrity_problem(d / "old.gguf"), "");
  EXPECT_TRUE(fs::exists(check_file_of(d / "old.gguf")));
  write(check_file_of(d / "old.gguf"), "{not json");
  EXPECT_NE(integrity_problem(d / "old.gguf").find("is unreadable"), std::string::npos);
}

// Only a temporary whose process is gone is removed: a live synthesis (this process) keeps its own.
TEST(CacheIntegrity, TemporariesOfDeadProcessesAreRemoved) {
  const fs::path d = fresh_test_dir();
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  const fs::path dead = d / ("m.gguf.tmp" + std::to_string(child));
  const fs::path live = d / ("m.gguf.tmp" + std::to_string(getpid()));
  write(dead, std::string(1000, 'x'));
  write(live, std::string(1000, 'x'));
  write(d / "notes.tmpfile", "x");
  remove_dead_temporaries(d);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(d / "notes.tmpfile"));
}

TEST(CacheIntegrity, ADamagedCalibrationIsNeverUsedAndIsReplacedWhenMeasuredAgain) {
  const fs::path d = fresh_test_dir();
  const fs::path file = d / "calibration.json";
  EXPECT_EQ(calibration_file_problem(file), "");  // none yet: nothing to say
  write(file, "{\"cpu0\": {\"bandwidth_gbs\": 12.5, \"matmul");
  EXPECT_NE(calibration_file_problem(file).find("not valid JSON"), std::string::npos);
  EXPECT_FALSE(load_calibration(file, "cpu0").has_value());
  write(file, R"({"cpu0": {"bandwidth_gbs": -3, "matmul_tflops": 1}, "cpu1": {"bandwidth_gbs": 20, "matmul_tflops": 0.5}})");
  EXPECT_EQ(calibration_file_problem(file), "the entry 'cpu0': bandwidth_gbs is -3");
  EXPECT_FALSE(load_calibration(file, "cpu0").has_value());
  ASSERT_TRUE(load_calibration(file, "cpu1").has_value());

  write(file, "garbage");
  Calibration c;
  c.description = "cpu0";
  c.bandwidth_gbs = 11;
  c.matmul_tflops = 0.25;
  save_calibration(file, c);
  EXPECT_EQ(calibration_file_problem(file), "");
  ASSERT_TRUE(load_calibration(file, "cpu0").has_value());
  EXPECT_EQ(load_calibration(file, "cpu0")->bandwidth_gbs, 11);
}

TEST(SwapActivity, PagesSwappedInAndOutFromVmstat) {
  std::istringstream vmstat("nr_free_pages 100\npswpin 3\npgfault 9\npswpout 5\n");
  EXPECT_EQ(swapped_bytes_in(vmstat, 4096), std::optional<uint64_t>(8 * 4096));
  std::istringstream without("nr_free_pages 100\n");
  EXPECT_FALSE(swapped_bytes_in(without, 4096).has_value());
#ifdef __linux__
  EXPECT_TRUE(swapped_bytes_so_far().has_value());
#endif
}

}  // namespace mtb
