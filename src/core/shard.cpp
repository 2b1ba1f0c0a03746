#include "core/shard.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace mtb {

ShardSpec parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  ShardSpec s{-1, 0};
  try {
    size_t used_k = 0, used_n = 0;
    if (slash != std::string::npos && slash > 0) {
      s.index = std::stoi(text.substr(0, slash), &used_k);
      s.count = std::stoi(text.substr(slash + 1), &used_n);
    }
    if (used_k != slash || used_n != text.size() - slash - 1) s = {-1, 0};
  } catch (const std::exception&) {
    s = {-1, 0};
  }
  if (s.count < 1 || s.count > 100000 || s.index < 0 || s.index >= s.count)
    throw std::invalid_argument(fmt::format("--shard '{}': takes K/N, shard K of N counted from 0 (0/4 .. 3/4), N at most 100000",
                                            text));
  return s;
}

std::vector<int> assign_shards(const std::vector<std::string>& units, int count) {
  // Units in the order the plan first names them, with their case counts.
  std::map<std::string, size_t> first_seen;
  std::vector<size_t> weight;
  std::vector<size_t> unit_of(units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    auto [it, fresh] = first_seen.emplace(units[i], weight.size());
    if (fresh) weight.push_back(0);
    unit_of[i] = it->second;
    ++weight[it->second];
  }
  std::vector<size_t> order(weight.size());
  for (size_t u = 0; u < order.size(); ++u) order[u] = u;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return weight[a] > weight[b]; });
  std::vector<size_t> load(size_t(std::max(count, 1)), 0);
  std::vector<int> shard_of_unit(weight.size());
  for (size_t u : order) {
    const size_t lightest = size_t(std::min_element(load.begin(), load.end()) - load.begin());  // the first of equals
    shard_of_unit[u] = int(lightest);
    load[lightest] += weight[u];
  }
  std::vector<int> out(units.size());
  for (size_t i = 0; i < units.size(); ++i) out[i] = shard_of_unit[unit_of[i]];
  return out;
}

std::vector<size_t> cases_of_shard(const std::vector<std::string>& units, ShardSpec shard) {
  const std::vector<int> of = assign_shards(units, shard.count);
  std::vector<size_t> out;
  for (size_t i = 0; i < of.size(); ++i)
    if (of[i] == shard.index) out.push_back(i);
  return out;
}

nlohmann::json shard_settings(const PlanShard& s, size_t plan_cases, const std::string& host) {
  return {{"plan_hash", s.plan_hash}, {"index", s.shard.index}, {"count", s.shard.count}, {"plan_cases", plan_cases},
          {"host", host}, {"hosts", {host}}};
}

PlanShard plan_shard_from_json(const nlohmann::json& j) {
  return {j.at("plan_hash").get<std::string>(), {j.at("index").get<int>(), j.at("count").get<int>()}};
}

}  // namespace mtb
