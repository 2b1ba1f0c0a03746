#include <gtest/gtest.h>

#include "llm/derived.h"
#include "core/text_table.h"
#include "llm/record.h"

using namespace mtb;

Record sample_record() {
  Record r;
  r.spec.model = "qwen-2.5-0.5b-it";
  r.spec.backend = "llamacpp";
  r.spec.device = "cpu";
  r.spec.precision = "q4_0";
  r.spec.n_prompt = 64;
  r.spec.n_gen = 16;
  r.spec.reps = 3;
  r.prompt_s = {0.5, 0.4, 0.6};
  r.gen_s = {1.0, 0.8, 1.2};
  r.generated = {1, 2, 3};
  r.peak_rss_bytes = 1ull << 30;
  r.extra = {{"flash_attn", "auto"}};
  derive_numbers(r);
  return r;
}

TEST(Record, ThroughputComesFromTheSamples) {
  const Record r = sample_record();
  EXPECT_EQ(r.prompt_tps.n, 3);
  EXPECT_NEAR(r.prompt_tps.median, 64 / 0.5, 1e-9);
  EXPECT_NEAR(r.gen_tps.median, 16 / 1.0, 1e-9);
  EXPECT_NEAR(r.ttft_s.median, 0.5, 1e-12);
}

TEST(Record, BatchMultipliesTokens) {
  Record r = sample_record();
  r.spec.batch = 4;
  derive_numbers(r);
  EXPECT_NEAR(r.gen_tps.median, 4 * 16 / 1.0, 1e-9);
}

TEST(Record, JsonRoundTripKeepsEverything) {
  const Record r = sample_record();
  const nlohmann::json j = r;
  EXPECT_EQ(j["n_prompt"], 64);                     // llama-bench's names at the top level
  EXPECT_NEAR(j["avg_ts"].get<double>(), r.gen_tps.mean, 1e-12);
  const Record back = j.get<Record>();
  EXPECT_EQ(back.spec.key(), r.spec.key());
  EXPECT_EQ(back.prompt_s, r.prompt_s);
  EXPECT_EQ(back.generated, r.generated);
  EXPECT_EQ(back.extra["flash_attn"], "auto");
  EXPECT_DOUBLE_EQ(back.gen_tps.stddev, r.gen_tps.stddev);
}

TEST(Record, CsvStartsWithTheAncestorsColumns) {
  const auto cols = record_fields().csv_header();
  const std::vector<std::string> ancestor = {"name", "framework", "backend", "batch_size", "dtype",
                                             "num_prompt_tokens", "num_generated_tokens", "prompt_tps",
                                             "prompt_time_sec", "generation_tps", "generation_time_sec"};
  ASSERT_GE(cols.size(), ancestor.size());
  EXPECT_TRUE(std::equal(ancestor.begin(), ancestor.end(), cols.begin()));
  EXPECT_EQ(record_fields().csv_row(sample_record()).size(), cols.size());
}

TEST(Record, UnknownStatusIsRejected) {
  nlohmann::json j = sample_record();
  j["status"] = "weird";
  EXPECT_THROW(j.get<Record>(), std::runtime_error);
}

TEST(Printers, TableShowsRatesWithSpreadAndReasons) {
  Record ok = sample_record();
  Record skipped = sample_record();
  skipped.status = Status::skipped;
  skipped.error = "no cuda device";
  const std::string t = record_fields().format({ok, skipped}, OutputFormat::table);
  EXPECT_NE(t.find(" ± "), std::string::npos);
  EXPECT_NE(t.find("skipped: no cuda device"), std::string::npos);
  EXPECT_THROW(parse_output_format("xml"), std::invalid_argument);
  EXPECT_EQ(nlohmann::json::parse(record_fields().format({ok}, OutputFormat::json)).size(), 1u);
}
