// The CSV reader behind the ancestor import: RFC 4180 quoting, and errors that name file and line.
#include <gtest/gtest.h>

#include "report/csv_table.h"

namespace mtb::report {
namespace {

TEST(CsvTable, ReadsQuotedFieldsWithCommasQuotesAndCrlf) {
  const CsvTable t = parse_csv("name,framework,median_ms\r\n\"Linear(in=768, out=768)\",torch,1.5\r\n"
                               "\"say \"\"hi\"\"\",mlx,2\r\n\r\n",
                               "x.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"name", "framework", "median_ms"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0], "Linear(in=768, out=768)");
  EXPECT_EQ(t.rows[1][0], "say \"hi\"");
  EXPECT_EQ(t.rows[1][2], "2");
  EXPECT_EQ(t.row_lines, (std::vector<int>{2, 3}));
  EXPECT_EQ(t.column("median_ms"), 2u);
  EXPECT_FALSE(t.column("nope"));
}

TEST(CsvTable, LastRowWithoutNewlineIsKept) {
  const CsvTable t = parse_csv("a,b\n1,2", "x.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][1], "2");
}

TEST(CsvTable, FieldCountMismatchNamesFileAndLine) {
  try {
    parse_csv("a,b\n1,2\n3\n", "/m/run/benchmark_results.csv");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "/m/run/benchmark_results.csv:3: 1 fields, the header has 2");
  }
}

TEST(CsvTable, UnterminatedQuoteAndEmptyFileAreErrors) {
  EXPECT_THROW(parse_csv("a,b\n\"1,2\n", "x.csv"), std::runtime_error);
  EXPECT_THROW(parse_csv("", "x.csv"), std::runtime_error);
}

}  // namespace
}  // namespace mtb::report
