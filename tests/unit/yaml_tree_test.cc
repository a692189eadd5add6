#include "manifest/yaml_tree.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("plain scalars resolve by YAML 1.2's core schema") {
  CHECK(resolve_plain_scalar("8") == ScalarType::integer);
  CHECK(resolve_plain_scalar("-12") == ScalarType::integer);
  CHECK(resolve_plain_scalar("0x1F") == ScalarType::integer);
  CHECK(resolve_plain_scalar("1.5") == ScalarType::floating);
  CHECK(resolve_plain_scalar("1e3") == ScalarType::floating);
  CHECK(resolve_plain_scalar(".inf") == ScalarType::floating);
  CHECK(resolve_plain_scalar("true") == ScalarType::boolean);
  CHECK(resolve_plain_scalar("yes") == ScalarType::string);  // YAML 1.1's booleans are text in 1.2
  CHECK(resolve_plain_scalar("1280*720") == ScalarType::string);
  CHECK(resolve_plain_scalar("8s") == ScalarType::string);
  CHECK(resolve_plain_scalar("") == ScalarType::string);
}

TEST_CASE("a plain integer's value, in every spelling the core schema allows, or none past 64 bits") {
  auto value = [](std::string text, bool plain = true) {
    return plain_integer(YamlNode{YamlKind::scalar, {1, 1}, std::move(text), plain, {}, {}});
  };
  CHECK(value("12") == 12);
  CHECK(value("-3") == -3);
  CHECK(value("+5") == 5);
  CHECK(value("0x1F") == 31);
  CHECK(value("0o17") == 15);
  CHECK(value("9223372036854775807") == 9223372036854775807LL);
  CHECK_FALSE(value("99999999999999999999"));
  CHECK_FALSE(value("0x"));
  CHECK_FALSE(value("1.5"));
  CHECK_FALSE(value("12", false));  // quoted: text
}

TEST_CASE("the tree keeps positions, quoting and document order") {
  Diagnostics errors;
  auto doc = parse_yaml("a: 1\nb:\n  - \"x\"\n  - y\n", "f.yaml", errors);
  REQUIRE(errors.empty());
  REQUIRE(doc.root.kind == YamlKind::mapping);
  REQUIRE(doc.root.entries.size() == 2);
  CHECK(doc.root.entries[0].key == "a");
  CHECK(doc.root.entries[1].key_pos.line == 2);
  const YamlNode* b = doc.root.find("b");
  REQUIRE(b != nullptr);
  REQUIRE(b->items.size() == 2);
  CHECK_FALSE(b->items[0].plain);
  CHECK(b->items[1].plain);
  CHECK(b->items[1].pos.line == 4);
  CHECK(b->items[1].pos.col == 5);
}

TEST_CASE("duplicate keys are reported at the second one") {
  Diagnostics errors;
  parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() == "f.yaml:3:1: duplicate key 'a' (first at line 1)");
}

TEST_CASE("an empty document is empty, not an error") {
  Diagnostics errors;
  auto doc = parse_yaml("# only a comment\n", "f.yaml", errors);
  CHECK(errors.empty());
  CHECK(doc.empty);
}
