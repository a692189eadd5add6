#include "manifest/json_line.h"

#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

using namespace reelq;

namespace {

YamlNode parse_ok(std::string_view text) {
  Diagnostics errors;
  auto n = parse_json_line(text, 7, "x.jsonl", errors);
  INFO(to_string(errors));
  REQUIRE(n.has_value());
  return *n;
}

std::string error_of(std::string_view text) {
  Diagnostics errors;
  auto n = parse_json_line(text, 7, "x.jsonl", errors);
  CHECK_FALSE(n.has_value());
  return to_string(errors);
}

}  // namespace

TEST_CASE("a job line: strings quoted, numbers plain as written, places in characters") {
  YamlNode n = parse_ok(R"({"id": "é1", "duration": 8, "images": ["a.png"], "x": null, "ok": true})");
  REQUIRE(n.kind == YamlKind::mapping);
  REQUIRE(n.entries.size() == 5);
  CHECK(n.entries[0].value.text == "é1");
  CHECK_FALSE(n.entries[0].value.plain);
  CHECK(n.entries[1].key == "duration");
  CHECK(n.entries[1].key_pos.col == 14);  // after "é1", one column per character
  CHECK(n.entries[1].value.text == "8");
  CHECK(n.entries[1].value.plain);
  CHECK(n.entries[1].value.pos.line == 7);
  CHECK(n.entries[2].value.kind == YamlKind::sequence);
  CHECK(n.entries[2].value.items[0].text == "a.png");
  CHECK(n.entries[3].value.kind == YamlKind::null);
  CHECK(n.entries[4].value.text == "true");
}

TEST_CASE("string escapes decode as Poco's parser decodes them") {
  for (std::string literal :
       {R"("a\"b\\c\/d")", R"("tab\there\nnew\r\b\f")", R"("\u00e9\u4e2d\ud83c\udfac")", R"("plain é 中 🎬")"}) {
    CAPTURE(literal);
    Poco::JSON::Parser poco;
    std::string expected =
        poco.parse("[" + literal + "]").extract<Poco::JSON::Array::Ptr>()->getElement<std::string>(0);
    CHECK(parse_ok("{\"p\":" + literal + "}").entries[0].value.text == expected);
  }
}

TEST_CASE("syntax errors name their column") {
  CHECK(error_of(R"({"id": "a", "prompt": "unclosed)") == "x.jsonl:7:23: text in quotes is never closed\n");
  CHECK(error_of(R"({"id": 'a'})") ==
        "x.jsonl:7:8: unexpected ''' where a JSON value was expected (text goes in double quotes)\n");
  CHECK(error_of(R"({"id": "a",})") == "x.jsonl:7:12: expected a key in double quotes\n");
  CHECK(error_of(R"({"id": "a"} x)") == "x.jsonl:7:13: text after the end of the JSON value (one job per line)\n");
  CHECK(error_of(R"({"id": "a", "id": "b"})") == "x.jsonl:7:13: duplicate key 'id'\n");
  CHECK(error_of(R"({"p": "\x"})") == "x.jsonl:7:8: unknown escape '\\x'\n");
  CHECK(error_of(R"({"p": "\ud83c"})") == "x.jsonl:7:8: a \\u escape names half of a surrogate pair\n");
  CHECK(error_of(R"({"d": 01})") == "x.jsonl:7:8: expected ',' or '}'\n");
  CHECK(error_of("{\"p\": \"a\tb\"}") ==
        "x.jsonl:7:9: a control character inside quotes must be escaped (\\n, \\t, \\u00XX)\n");
  CHECK(error_of(std::string(100, '[')) == "x.jsonl:7:34: JSON nested too deep\n");
}
