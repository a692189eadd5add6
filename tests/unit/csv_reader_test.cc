#include "manifest/csv_reader.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {

CsvTable parse_ok(std::string_view text, char delimiter = ',') {
  Diagnostics errors;
  CsvTable t = parse_csv(text, delimiter, "s.csv", errors);
  INFO(to_string(errors));
  REQUIRE(errors.empty());
  return t;
}

std::string errors_of(std::string_view text, char delimiter = ',') {
  Diagnostics errors;
  parse_csv(text, delimiter, "s.csv", errors);
  return to_string(errors);
}

}  // namespace

TEST_CASE("a spreadsheet's CSV: BOM, CRLF, quoted commas, doubled quotes and line breaks kept byte for byte") {
  CsvTable t = parse_ok("\xEF\xBB\xBFid,prompt\r\na,\"one, two\"\r\nb,\"say \"\"hi\"\"\nthen go\"\r\n");
  REQUIRE(t.header.size() == 2);
  CHECK(t.header[0].text == "id");
  CHECK(t.header[0].pos.line == 1);
  CHECK(t.header[0].pos.col == 1);  // the BOM is not a column
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[0].fields[1].text == "one, two");
  CHECK(t.records[1].fields[1].text == "say \"hi\"\nthen go");
  CHECK(t.records[1].fields[1].pos.line == 3);
  CHECK(t.records[1].fields[1].pos.col == 3);
  CHECK(t.records[1].number == 2);
}

TEST_CASE("records after a field with a line break are placed on their own line; columns count characters") {
  CsvTable t = parse_ok("id,prompt\n\"é\",\"a\nb\"\nc,d\n");
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[1].fields[0].pos.line == 4);
  CHECK(t.records[0].fields[1].pos.col == 5);  // "é" is one column, whatever its bytes
}

TEST_CASE("blank lines are not records, and a file without a final line break reads its last row") {
  CsvTable t = parse_ok("id,prompt\n\na,x\n\r\nb,y");
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[0].number == 1);
  CHECK(t.records[1].number == 2);
  CHECK(t.records[1].fields[1].text == "y");
}

TEST_CASE("a row of delimiters only (Excel's formatted empty row) is a blank line: skipped, not counted") {
  // As many delimiters as the header has, or fewer or more: nothing is written in any of them.
  CsvTable t = parse_ok(",,\nid,prompt,takes\n,,\nx,y,1\n,,\r\n,\n,,,,\nz,w,2\n,,");
  REQUIRE(t.header.size() == 3);
  CHECK(t.header[0].text == "id");
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[0].number == 1);
  CHECK(t.records[1].number == 2);  // as if the empty rows were blank lines
  CHECK(t.records[1].fields[0].text == "z");
  CsvTable tsv = parse_ok("id\tprompt\n\t\na\tb\n\t\nc\td\n", '\t');
  REQUIRE(tsv.records.size() == 2);
  CHECK(tsv.records[1].number == 2);
}

TEST_CASE("spaces around the delimiters of an empty row are nothing written: still a blank line") {
  CsvTable t = parse_ok("id,prompt,takes\n , , \nx,y,1\n  \n,\t,\nz,w,2\n");
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[1].number == 2);
  CHECK(t.records[1].fields[0].text == "z");
  CsvTable tsv = parse_ok("id\tprompt\n \t \na\tb\n", '\t');
  REQUIRE(tsv.records.size() == 1);
  CHECK(tsv.records[0].number == 1);
  // One cell with text in it makes it a row (" , x " is a job with a prompt, not a blank line).
  CHECK(parse_ok("id,prompt\n , x \n").records.size() == 1);
}

TEST_CASE("spaces around a quoted field are not part of it; inside the quotes they are kept") {
  CsvTable t = parse_ok("id,prompt,takes\nh, \"a harbour, at dawn\" , 2\nk,\"  kept  \"  ,1\n");
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[0].fields[1].text == "a harbour, at dawn");
  CHECK(t.records[0].fields[1].quoted);
  CHECK(t.records[0].fields[1].pos.col == 4);  // where its quote is
  CHECK(t.records[0].fields[2].text == " 2");  // unquoted: the reader keeps spaces, the job list trims
  CHECK(t.records[1].fields[1].text == "  kept  ");
  // Tabs too, where they are not the delimiter; in a TSV a tab is a delimiter, never a blank.
  CsvTable tabs = parse_ok("id,prompt\nt,\t\"tab before\" \t\n");
  REQUIRE(tabs.records.size() == 1);
  CHECK(tabs.records[0].fields[1].text == "tab before");
  CsvTable tsv = parse_ok("id\tprompt\tnote\nt\t \"x\" \t\n", '\t');
  REQUIRE(tsv.records.size() == 1);
  CHECK(tsv.records[0].fields[1].text == "x");
  CHECK(tsv.records[0].fields[2].text.empty());
  // Text other than spaces after the closing quote is still a mistake, named where it is.
  Diagnostics errors;
  parse_csv("id,prompt\na,\"b\" x\n", ',', "s.csv", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].pos.line == 2);
  CHECK(errors[0].pos.col == 7);
}

TEST_CASE("a row of quoted empty fields was written on purpose: it is a record, and fields know they were quoted") {
  CsvTable t = parse_ok("id,prompt\n\"\",\"\"\na, b\n");
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[0].number == 1);
  CHECK(t.records[0].fields[0].quoted);
  CHECK_FALSE(t.records[1].fields[1].quoted);
  CHECK(t.records[1].fields[1].text == " b");  // the reader keeps spaces; the job list decides
}

TEST_CASE("TSV is the same with tabs, quotes honoured") {
  CsvTable t = parse_ok("id\tprompt\na\t\"x\ty\"\n", '\t');
  REQUIRE(t.records.size() == 1);
  CHECK(t.records[0].fields[1].text == "x\ty");
}

TEST_CASE("a row with more or fewer fields than the header is named at its place and left out") {
  Diagnostics errors;
  CsvTable t = parse_csv("id,prompt\na,x,y\nb\nc,z\n", ',', "s.csv", errors);
  CHECK(to_string(errors) ==
        "s.csv:2:5: this row has 3 fields and the header 2 (a field holding the delimiter must be in quotes)\n"
        "s.csv:3:2: this row has 1 fields and the header 2\n");
  REQUIRE(t.records.size() == 1);
  CHECK(t.records[0].fields[0].text == "c");
  CHECK(t.records[0].number == 3);
}

TEST_CASE("quote slips are errors at the quote") {
  CHECK(errors_of("id,prompt\na,\"never closed\nb,c\n") ==
        "s.csv:2:3: quoted field is never closed (its closing quote is missing)\n");
  CHECK(errors_of("id,prompt\na,\"x\"y\n") ==
        "s.csv:2:6: text after the closing quote of a field; a quote inside a quoted field is written twice (\"\")\n");
  CHECK(errors_of("id,prompt\na,say \"hi\"\n") ==
        "s.csv:2:7: a quote inside a field that does not start with one; put the whole field in quotes and write "
        "the quote twice (\"\")\n");
}
