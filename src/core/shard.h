// One plan over many machines: shard K of N is a deterministic slice of the plan's cases in which all
// cases of one unit (a model file: its worker keeps it loaded) fall in one shard. Each shard runs into
// a run folder of its own whose settings.json names the plan's hash, K, N and the hosts that wrote it.
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mtb {

struct ShardSpec {
  int index = 0;  // K, from 0
  int count = 1;  // N
};

// "K/N" with 0 <= K < N <= 100000; anything else throws std::invalid_argument naming --shard.
ShardSpec parse_shard(const std::string& text);

// The shard of each case, from each case's unit (equal strings: one unit). Units are weighed by their
// cases and dealt largest first, each to the lightest shard so far (ties: the lower shard, then the
// unit seen first in the plan), so the slices are even and depend on the plan alone.
std::vector<int> assign_shards(const std::vector<std::string>& units, int count);

// The indices (in plan order) of the cases in `shard`.
std::vector<size_t> cases_of_shard(const std::vector<std::string>& units, ShardSpec shard);

// A run folder's place in a plan, as settings.json's "shard" holds it.
struct PlanShard {
  std::string plan_hash;
  ShardSpec shard;
};
nlohmann::json shard_settings(const PlanShard& s, size_t plan_cases, const std::string& host);
PlanShard plan_shard_from_json(const nlohmann::json& shard);  // settings.json's "shard"

// The rule for a case recorded twice (a retried task, a shard run again elsewhere): the record that
// started later counts; equal or unknown start times: the one read later.
inline bool supersedes(const std::string& started_at, const std::string& kept_started_at) {
  return started_at >= kept_started_at;
}

}  // namespace mtb
