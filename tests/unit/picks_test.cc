#include "deliver/picks.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("the review page's export: picks and stars are keepers, rejects are not, the last mark wins") {
  auto p = parse_picks(R"({"version":1,"batch":"night","marks":[
    {"job":"a","take":1,"mark":"pick"},
    {"job":"a","take":2,"mark":"reject"},
    {"job":"b","take":1,"mark":"star"},
    {"job":"c","take":3,"mark":"pick"},
    {"job":"c","take":3,"mark":"reject"}]})",
                       "picks.json");
  REQUIRE(p);
  CHECK(p->batch == "night");
  CHECK(p->keepers == std::set<std::pair<std::string, int>>{{"a", 1}, {"b", 1}});
}

TEST_CASE("an export whose batch is null names takes of any batch") {
  auto p = parse_picks(R"({"version":1,"batch":null,"marks":[]})", "p.json");
  REQUIRE(p);
  CHECK_FALSE(p->batch);
  CHECK(p->keepers.empty());
}

TEST_CASE("a bad export is refused at the place of the problem") {
  auto bad_mark = parse_picks(
      "{\"version\":1,\"batch\":null,\"marks\":[\n  {\"job\":\"a\",\"take\":1,\"mark\":\"maybe\"}]}", "p.json");
  REQUIRE_FALSE(bad_mark);
  CHECK(bad_mark.error().kind == ErrorKind::input);
  CHECK(bad_mark.error().message == "p.json:2:30: \"mark\" must be \"pick\", \"reject\" or \"star\" (got maybe)\n");
  auto bad_take = parse_picks("{\"version\":1,\"marks\":[{\"job\":\"a\",\"take\":0,\"mark\":\"pick\"}]}", "p.json");
  REQUIRE_FALSE(bad_take);
  CHECK(bad_take.error().message == "p.json:1:41: a mark needs \"take\": a take number from 1\n");
  auto quoted_take =
      parse_picks("{\"version\":1,\"marks\":[{\"job\":\"a\",\"take\":\"1\",\"mark\":\"pick\"}]}", "p.json");
  CHECK_FALSE(quoted_take);
  auto version = parse_picks("{\"version\":2,\"marks\":[]}", "p.json");
  REQUIRE_FALSE(version);
  CHECK(version.error().message == "p.json:1:12: \"version\" must be 1 (an export of this reelq)\n");
}

TEST_CASE("a picks file that is not JSON says so, at the place it stops being JSON") {
  auto cut = parse_picks("{\"version\":1,\"marks\":[\n  {\"job\":\"a\",\"take\":1,\"mark\":\"pick\"},\n", "p.json");
  REQUIRE_FALSE(cut);
  CHECK(cut.error().kind == ErrorKind::input);
  CHECK(cut.error().message ==
        "p.json:3:1: JSON syntax error: expected a value, found the end of the file; --picks "
        "takes the review page's export (a JSON file)\n");
  // YAML would take these; a picks file is JSON, and a CSV given by mistake is not read as one string.
  auto yaml = parse_picks("version: 1\nmarks: []\n", "p.yaml");
  REQUIRE_FALSE(yaml);
  CHECK(yaml.error().message.starts_with("p.yaml:1:1: JSON syntax error: expected a value, found 'v'"));
  auto csv = parse_picks("batch,job,take\nnight,a,1\n", "report.csv");
  REQUIRE_FALSE(csv);
  CHECK(csv.error().message.starts_with("report.csv:1:1: JSON syntax error: "));
}
