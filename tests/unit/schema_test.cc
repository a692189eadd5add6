#include "manifest/schema.h"

#include <doctest/doctest.h>

#include <stdexcept>

#include "util/text.h"

using namespace reelq;

TEST_CASE("nearest_word suggests close keys, swaps included, and nothing for far ones") {
  std::vector<std::string> known = {"batch", "jobs", "model", "prompt", "duration"};
  CHECK(nearest_word("promt", known) == "prompt");
  CHECK(nearest_word("jbos", known) == "jobs");
  CHECK(nearest_word("Duraton", known) == "duration");
  CHECK(nearest_word("colour", known) == "");
}

TEST_CASE("the shipped manifest schema compiles") {
  CHECK_NOTHROW(Schema::manifest());
}

TEST_CASE("a schema keyword the checker does not implement is refused, not ignored") {
  CHECK_THROWS_AS(Schema::parse(R"({"type":"object","oneOf":[]})"), std::invalid_argument);
}

TEST_CASE("messages come from the schema's own constraints") {
  Schema s = Schema::parse(R"({"type":"object","properties":{"n":{"type":"integer","minimum":3}},"required":["n"]})");
  Diagnostics errors;
  YamlNode doc;
  doc.kind = YamlKind::mapping;
  doc.pos = {1, 1};
  YamlNode n;
  n.kind = YamlKind::scalar;
  n.plain = true;
  n.text = "2";
  n.pos = {1, 4};
  doc.entries.push_back({"n", {1, 1}, n});
  s.validate(doc, "x.yaml", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() == "x.yaml:1:4: n must be at least 3 (got 2)");
}
