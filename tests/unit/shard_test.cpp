// The partition of a plan into shards (core/shard.h), the plan's hash, and a suite restricted to a
// shard (its functions still see the whole plan's indices).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/sha256.h"
#include "core/shard.h"
#include "core/suite_driver.h"
#include "llm/llm_suite.h"
#include "llm/plan.h"

using namespace mtb;

namespace {

// A plan of the LLM suite: 3 models x 2 precisions (6 model files) x 2 backends x 3 prompt lengths.
std::vector<CaseSpec> plan_cases() {
  LlmAxes a;
  a.models = {"tiny", "tiny-llama", "qwen-2.5-0.5b-it"};
  a.backends = {"llamacpp", "torch"};
  a.devices = {"cpu"};
  a.precisions = {"f32", "q4_0"};
  a.n_prompt = {8, 16, 32};
  a.n_gen = {4};
  a.n_depth = {0};
  a.batch = {1};
  a.threads = {0};
  return expand(a);
}

// The units as the LLM suite gives them to the driver.
std::vector<std::string> suite_units(const std::vector<CaseSpec>& cases) {
  return llm_suite(LlmAxes{}, cases, nlohmann::json::object()).units;
}

}  // namespace

TEST(Shard, EveryCaseInExactlyOneShardAndEachModelFileInOne) {
  const auto cases = plan_cases();
  const auto units = suite_units(cases);
  ASSERT_EQ(cases.size(), 36u);
  ASSERT_EQ(std::set<std::string>(units.begin(), units.end()).size(), 6u);
  for (int n = 1; n <= 8; ++n) {
    std::map<size_t, int> seen;                  // case -> how many shards hold it
    std::map<std::string, std::set<int>> homes;  // model file -> the shards holding its cases
    for (int k = 0; k < n; ++k)
      for (size_t i : cases_of_shard(units, {k, n})) {
        ++seen[i];
        homes[cases[i].model + "|" + cases[i].precision].insert(k);
      }
    ASSERT_EQ(seen.size(), cases.size()) << "N=" << n;
    for (const auto& [i, times] : seen) EXPECT_EQ(times, 1) << "N=" << n << " case " << cases[i].key();
    for (const auto& [file, shards] : homes) EXPECT_EQ(shards.size(), 1u) << "N=" << n << " " << file;
  }
}

TEST(Shard, SlicesAreEvenAndDependOnThePlanAlone) {
  const auto units = suite_units(plan_cases());  // 6 model files of 6 cases each
  for (int n = 1; n <= 8; ++n) {
    size_t lo = SIZE_MAX, hi = 0;
    for (int k = 0; k < n; ++k) {
      const size_t size = cases_of_shard(units, {k, n}).size();
      lo = std::min(lo, size);
      hi = std::max(hi, size);
    }
    // Whole units of 6: shard sizes differ by one unit at most; beyond 6 shards some are empty.
    EXPECT_LE(hi - lo, 6u) << "N=" << n;
    EXPECT_EQ(lo == 0, n > 6) << "N=" << n;
    EXPECT_EQ(assign_shards(units, n), assign_shards(units, n));
  }
  // The unit of two cases first, then the singles, each to the lightest shard (the lower of equals).
  EXPECT_EQ(assign_shards({"a", "a", "b", "c", "d", "e", "f"}, 3), (std::vector<int>{0, 0, 1, 2, 1, 2, 0}));
}

TEST(Shard, LargestUnitsAreDealtFirstToTheLightestShard) {
  // Unit "big" (4 cases) alone in shard 0; the three single cases all fit beside it in shard 1 (3 < 4).
  const std::vector<std::string> units = {"s1", "big", "big", "s2", "big", "s3", "big"};
  EXPECT_EQ(assign_shards(units, 2), (std::vector<int>{1, 0, 0, 1, 0, 1, 0}));
}

TEST(Shard, ParsesKOfNAndRefusesTheRestNamingTheOption) {
  EXPECT_EQ(parse_shard("0/1").count, 1);
  EXPECT_EQ(parse_shard("3/4").index, 3);
  for (const char* bad : {"4/4", "-1/4", "1/0", "1", "/4", "1/", "a/b", "1/4x", "1.5/4", "0/100001", ""}) {
    try {
      parse_shard(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--shard"), std::string::npos) << e.what();
    }
  }
}

TEST(Shard, ARecordThatStartedLaterSupersedes) {
  EXPECT_TRUE(supersedes("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"));
  EXPECT_FALSE(supersedes("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"));
  EXPECT_TRUE(supersedes("", ""));  // unknown: the one read later
}

TEST(Sha256, MatchesTheStandardsTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(RestrictSuite, AShardsFunctionsSeeTheWholePlansIndices) {
  Suite s;
  for (int i = 0; i < 5; ++i) {
    s.cases.push_back(i);
    s.keys.push_back("k" + std::to_string(i));
    s.labels.push_back("case " + std::to_string(i));
    s.timeouts.push_back(i);
  }
  s.units = {"u0", "u1", "u0", "u1", "u2"};
  std::vector<size_t> prepared;
  s.item = [](size_t i) { return nlohmann::json(i * 10); };
  s.same_worker = [](size_t i, size_t j) { return (i % 2) == (j % 2); };
  s.prepare = [&](const std::vector<size_t>& g) { prepared = g; };
  s.unrun = [](size_t i, Status, const std::string&) { return nlohmann::json(i); };
  const Suite r = restrict_suite(s, {1, 3, 4});
  EXPECT_EQ(r.keys, (std::vector<std::string>{"k1", "k3", "k4"}));
  EXPECT_EQ(r.units, (std::vector<std::string>{"u1", "u1", "u2"}));
  EXPECT_EQ(r.item(2), 40);
  EXPECT_TRUE(r.same_worker(0, 1));   // cases 1 and 3
  EXPECT_FALSE(r.same_worker(1, 2));  // cases 3 and 4
  r.prepare({0, 2});
  EXPECT_EQ(prepared, (std::vector<size_t>{1, 4}));
  EXPECT_EQ(r.unrun(1, Status::failed, ""), 3);
}
