// Shards of one plan as one run: the job array's N folders (and any retried task's) read as the plan
// they split, each case once, so the report's tables and charts count the plan, not its folders.
#include <algorithm>
#include <map>
#include <tuple>

#include "core/shard.h"
#include "report/run.h"

namespace mtb::report {
namespace {

std::string plan_hash_of(const Run& r) {
  if (r.origin != "mtb" || !r.settings.contains("shard") || !r.settings["shard"].is_object()) return "";
  const auto& h = r.settings["shard"]["plan_hash"];
  return h.is_string() ? h.get<std::string>() : "";
}

const std::string& key_of(const Record& r, std::string& buf) { return buf = r.spec.key(); }
const std::string& key_of(const QualityRecord& r, std::string& buf) { return buf = r.spec.key(); }
const std::string& key_of(const LayerRecord& r, std::string&) { return r.key; }

// `into` gets each case of `runs` (oldest run first) once: its newest record, at the place the case
// was first met.
template <class R>
void merge_records(const std::vector<const std::vector<R>*>& runs, std::vector<R>& into) {
  std::map<std::string, size_t> at;
  std::string buf;
  for (const auto* records : runs)
    for (const R& r : *records) {
      auto [it, fresh] = at.emplace(key_of(r, buf), into.size());
      if (fresh) into.push_back(r);
      else if (supersedes(r.started_at, into[it->second].started_at)) into[it->second] = r;
    }
}

Run merge_group(std::vector<Run*> runs, const std::string& hash) {
  std::sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->datetime < b->datetime; });
  Run m;
  const Run& newest = *runs.back();
  m.kind = newest.kind;
  m.hardware = newest.hardware;
  m.datetime = newest.datetime;  // "the newest run's value" elsewhere in the report: its latest shard's time
  m.origin = "mtb";
  m.settings = newest.settings;
  m.plan_hash = hash;
  m.dir = newest.dir.parent_path();  // the hardware folder holding the shards
  std::vector<const std::vector<Record>*> llm;
  std::vector<const std::vector<LayerRecord>*> layers;
  std::vector<const std::vector<QualityRecord>*> quality;
  for (const Run* r : runs) {
    m.shard_dirs.push_back(r->dir);
    llm.push_back(&r->llm);
    layers.push_back(&r->layers);
    quality.push_back(&r->quality);
  }
  merge_records(llm, m.llm);
  merge_records(layers, m.layers);
  merge_records(quality, m.quality);
  return m;
}

}  // namespace

void merge_shards(RunSet& set) {
  std::map<std::tuple<std::string, RunKind, std::string>, std::vector<Run*>> groups;
  for (Run& r : set.runs)
    if (const std::string h = plan_hash_of(r); !h.empty()) groups[{r.hardware, r.kind, h}].push_back(&r);
  std::vector<Run> merged;
  for (auto& [key, runs] : groups) merged.push_back(merge_group(runs, std::get<2>(key)));
  std::erase_if(set.runs, [](const Run& r) { return !plan_hash_of(r).empty(); });
  for (Run& m : merged) set.runs.push_back(std::move(m));
  std::sort(set.runs.begin(), set.runs.end(), [](const Run& a, const Run& b) {
    return std::tie(a.hardware, a.kind, a.datetime) < std::tie(b.hardware, b.kind, b.datetime);
  });
}

}  // namespace mtb::report
