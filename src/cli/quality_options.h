// The quality plan from the command line (`mtb quality`, and `mtb llm --quality` from a speed plan):
// its axes checked before anything runs, the reference fitted to the memory, the axes as stored in
// settings.json and read back on resume, and the run itself with the --max-kld gate.
#pragma once
#include <optional>
#include <string>

#include "core/store.h"
#include "cli/plan_file.h"
#include "core/suite_driver.h"
#include "quality/quality_plan.h"

namespace mtb::cli {

// The comma lists and --reference into `a`'s lists; "" backends: every in-process backend of this build.
void set_quality_lists(QualityAxes& a, const std::string& models, const std::string& backends, const std::string& devices,
                       const std::string& precisions, const std::string& reference);

// Throws one clear message (naming the option and what it allows) for anything that cannot run.
void validate_quality_axes(const QualityAxes& a);

// The reference must fit the memory of its device with one window's logits beside it. A default
// reference that does not fit at f32 is run at bf16 (then f16), saying so; one the user chose, or one
// that fits at no precision, is refused with both figures.
void fit_reference(QualityAxes& a);

nlohmann::json quality_axes_json(const QualityAxes& a);
QualityAxes quality_axes_from_json(const nlohmann::json& j);

// Runs the plan into `resumed` or a new run (d.settings gets the plan), or as `plans` asks (writes it,
// or runs a shard of a plan file); exit 4 when the run's records hold a candidate above a.max_kld and
// nothing else went wrong.
int run_quality(const QualityAxes& a, std::optional<RunStore> resumed, DriverOptions d, const PlanOptions& plans = {});

}  // namespace mtb::cli
