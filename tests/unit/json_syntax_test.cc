#include "util/json_syntax.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {

// "LINE:COL: message" of the first syntax error, or "" for JSON.
std::string first_error(std::string_view text) {
  auto e = check_json_syntax(text);
  return e ? std::to_string(e->pos.line) + ":" + std::to_string(e->pos.col) + ": " + e->message : "";
}

}  // namespace

TEST_CASE("JSON that is JSON passes, whatever its shape") {
  CHECK(first_error(R"({"version":1,"batch":null,"marks":[{"job":"a","take":2,"mark":"pick"}]})") == "");
  CHECK(first_error(" [1, -0.5e+3, true, false, null, \"a\\n\\u00e9\", {}, []]\r\n") == "");
  CHECK(first_error("\xEF\xBB\xBF{}") == "");
  CHECK(first_error("\"x\"") == "");
}

TEST_CASE("the first place that is not JSON is named by line and column, with what was expected there") {
  CHECK(first_error("{\"version\":1,\"marks\":[") == "1:23: expected a value, found the end of the file");
  CHECK(first_error("{\"a\":1,\n \"b\":2,\n}") ==
        "3:1: expected a member name in double quotes, found '}' (JSON allows no comma before '}')");
  CHECK(first_error("[1,2,]") == "1:6: expected a value, found ']' (JSON allows no comma before ']')");
  CHECK(first_error("{'job':1}") == "1:2: expected a member name in double quotes, found '''");
  CHECK(first_error("{\"job\":'a'}") == "1:8: expected a value, found ''' (JSON strings are in double quotes)");
  CHECK(first_error("{\"a\" 1}") == "1:6: expected ':' after the member name, found '1'");
  CHECK(first_error("{\"a\":1 \"b\":2}") == "1:8: expected ',' or '}', found '\"'");
  CHECK(first_error("{\"a\":True}") == "1:6: expected a value, found 'T'");
  CHECK(first_error("{\"a\":tru}") ==
        "1:6: expected a value, found 't' (true, false and null are lowercase words; strings are in double quotes)");
  CHECK(first_error("{\"a\":01}") == "1:7: expected ',' or '}', found '1'");
  CHECK(first_error("\"a\tb\"") ==
        "1:3: expected a character of the string or its closing '\"', found byte 0x09 (a control character must be "
        "escaped)");
  CHECK(first_error("\"abc") == "1:5: expected the string's closing '\"', found the end of the file");
  CHECK(first_error("\"\\x\"") == "1:3: expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found 'x'");
  CHECK(first_error("{} {}") == "1:4: expected the end of the file after the JSON value");
  CHECK(first_error("batch,job,take\nnight,a,1\n") == "1:1: expected a value, found 'b'");
  CHECK(first_error("") == "1:1: expected a value, found the end of the file");
}

TEST_CASE("nesting deep enough to exhaust the stack is refused, not recursed into") {
  std::string deep(100000, '[');
  CHECK(first_error(deep) == "1:258: nested deeper than 256 levels");
}
