#include "cli/argv_secrets.h"

#include <doctest/doctest.h>

#include <vector>

using namespace reelq;

namespace {

std::optional<std::string> refusal_for(std::vector<const char*> argv) {
  return key_flag_refusal(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("a key given on the command line is refused by its flag, and the key is not repeated") {
  for (const char* flag : {"--api-key", "--key", "--token", "--apikey"}) {
    auto r = refusal_for({"reelq", "run", "m.yaml", flag, "sk-live-abcdef123"});
    REQUIRE(r);
    CHECK(r->find(std::string("reelq: ") + flag + " is not an option") == 0);
    CHECK(r->find("APIXO_API_KEY") != std::string::npos);
    CHECK(r->find("--api-key-file") != std::string::npos);
    CHECK(r->find("sk-live") == std::string::npos);
  }
  auto joined = refusal_for({"reelq", "resume", "--api-key=sk-live-abcdef123"});
  REQUIRE(joined);
  CHECK(joined->find("--api-key is not an option") != std::string::npos);
  CHECK(joined->find("sk-live") == std::string::npos);
}

TEST_CASE("reelq's own flags that merely start like a key flag are left to the parser") {
  CHECK_FALSE(refusal_for({"reelq", "run", "m.yaml", "--api-key-file", "key.txt"}));
  CHECK_FALSE(refusal_for({"reelq", "run", "m.yaml", "--keys", "keys.yaml"}));
  CHECK_FALSE(refusal_for({"reelq", "run", "m.yaml", "--keyboard"}));
  CHECK_FALSE(refusal_for({"reelq", "status"}));
}

TEST_CASE("a parse error names the words it did not expect, except those that may be a key") {
  std::vector<const char*> argv = {"reelq", "run", "m.yaml", "sk-live-abcdef123", "abc123secret", "extra.yaml"};
  std::string said =
      without_secret_words("The following arguments were not expected: extra.yaml abc123secret sk-live-abcdef123",
                           static_cast<int>(argv.size()), argv.data(), "abc123secret");
  CHECK(said ==
        "The following arguments were not expected: extra.yaml [not shown: it may be a key] "
        "[not shown: it may be a key]");
  // With no key in the environment, only words shaped like a key are hidden.
  CHECK(without_secret_words("not expected: abc123secret", static_cast<int>(argv.size()), argv.data(), "") ==
        "not expected: abc123secret");
}
