// A run's results.jsonl, read by each of its readers: resume (RunStore's lines, each case's key and
// CSV row for every suite), the report (LLM, layer and quality records) and `mtb compare`. A line
// that is not a record is skipped or an exception; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "core/store.h"
#include "llm/llm_suite.h"
#include "ops/op_suite.h"
#include "quality/quality_suite.h"
#include "report/compare.h"
#include "report/run.h"

using namespace mtb;

namespace {

// What `--resume` does with the lines: the keys of the cases done (Suite::key_of) and the CSV rewritten.
template <class Case>
void resume(const std::vector<nlohmann::json>& lines, const CsvSchema& csv) {
  for (const auto& j : lines) {
    try {
      j.get<Case>().key();
      csv.row(j);
    } catch (const std::exception&) {  // run_suite stops with the message: not a record of this suite
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  {
    std::istringstream in(text);
    const ResultsLines r = read_results_lines(in);
    static const CsvSchema llm_csv = llm_csv_schema(), op_csv = ops::op_csv_schema(), quality_csv = quality_csv_schema();
    resume<CaseSpec>(r.lines, llm_csv);
    resume<ops::OpCase>(r.lines, op_csv);
    resume<QualityCase>(r.lines, quality_csv);
  }
  for (const auto kind : {report::RunKind::llm, report::RunKind::layer, report::RunKind::quality}) {
    report::Run run;
    run.kind = kind;
    std::vector<report::Problem> problems;
    std::istringstream in(text);
    try {
      report::read_results(run, in, "results.jsonl", problems);
    } catch (const std::exception&) {
      continue;
    }
    if (kind != report::RunKind::llm) continue;
    const report::CompareOptions options;
    const report::Comparison c = report::compare_records(run.llm, run.llm, options);
    report::format_comparison(c, options);
    report::regressions(c, options.threshold_pct);
  }
  return 0;
}
