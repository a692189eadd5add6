// The keys file (issue 20): its format, every error at its exact place, the warnings, the
// fingerprint, and no key's text in any message.
#include "keys/keys_file.h"

#include <doctest/doctest.h>

#include <map>

#include "support/fakes.h"
#include "util/file_digest.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

const std::string k_key_a = "sk-A1b2C3d4E5f6G7h8";
const std::string k_key_b = "sk-Zq9Yx8Wv7Ut6Sr5P";
const std::string k_key_intern = "sk-intern-Mn4Kp8Rt2Vw6";

// Every 8-character piece of `secret` absent from `text`: a message may not give away even part
// of a key.
bool holds_part_of(const std::string& text, const std::string& secret) {
  for (size_t i = 0; i + 8 <= secret.size(); ++i) {
    if (text.find(secret.substr(i, 8)) != std::string::npos) {
      return true;
    }
  }
  return false;
}

struct KeysProject {
  test::TempDir dir;
  std::map<std::string, std::string> env = {{"APIXO_KEY_A", k_key_a}, {"APIXO_KEY_B", k_key_b}};
  KeyDefaults defaults;

  KeysProject() { key_file("keys/intern.key", k_key_intern + "\n"); }

  void key_file(const std::string& name, const std::string& text,
                fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
    test::write_file(dir / name, text);
    fs::permissions(dir / name, perms);
  }

  GetenvFn getenv() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }

  Result<KeysFileResult> parse(const std::string& text) {
    return parse_keys_file(text, {"keys.yaml", dir.path()}, defaults, getenv());
  }

  KeysFileResult parse_ok(const std::string& text) {
    auto r = parse(text);
    INFO((r ? "" : r.error().message));
    REQUIRE(r.ok());
    return r.value();
  }

  // The error's text, checked to hold no part of any key this project knows.
  std::string errors(const std::string& text) {
    auto r = parse(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::input);
    for (const auto& secret : {k_key_a, k_key_b, k_key_intern}) {
      CHECK_FALSE(holds_part_of(r.error().message, secret));
    }
    return r.error().message;
  }
};

const std::string k_good =
    "keys:\n"
    "  - {name: studio-a, env: APIXO_KEY_A, rpm: 30, max_concurrent: 5}\n"
    "  - {name: studio-b, env: APIXO_KEY_B}\n"
    "  - {name: intern,   file: keys/intern.key, rpm: 10, max_concurrent: 3}\n";

}  // namespace

TEST_CASE("keys file: env and file entries, defaults for caps not given, file order kept") {
  KeysProject p;
  p.defaults = {20, 4};
  KeysFileResult r = p.parse_ok(k_good);
  REQUIRE(r.keys.size() == 3);
  CHECK(r.warnings.empty());

  CHECK(r.keys[0].name == "studio-a");
  CHECK(r.keys[0].secret == k_key_a);
  CHECK(r.keys[0].rpm == 30);
  CHECK(r.keys[0].max_concurrent == 5);
  CHECK(r.keys[0].source == "env APIXO_KEY_A");
  CHECK(r.keys[0].fingerprint == key_fingerprint(k_key_a));

  CHECK(r.keys[1].name == "studio-b");
  CHECK(r.keys[1].secret == k_key_b);
  CHECK(r.keys[1].rpm == 20);
  CHECK(r.keys[1].max_concurrent == 4);

  CHECK(r.keys[2].name == "intern");
  CHECK(r.keys[2].secret == k_key_intern);  // the line break trimmed
  CHECK(r.keys[2].rpm == 10);
  CHECK(r.keys[2].max_concurrent == 3);
  CHECK(r.keys[2].source == "file keys/intern.key");
}

TEST_CASE("keys file: block style, bounds accepted, keys trimmed like --api-key-file, Pro defaults") {
  KeysProject p;
  p.env["SPACED"] = "  " + k_key_b + "\r\n";
  p.key_file("k.key", "\n\n  " + k_key_a + " \r\n\n");
  KeysFileResult r = p.parse_ok(
      "keys:\n"
      "  - name: A.b_c-9\n"
      "    file: k.key\n"
      "    rpm: 100000\n"
      "    max_concurrent: 1000\n"
      "  - name: low\n"
      "    env: SPACED\n"
      "    rpm: 1\n"
      "    max_concurrent: 1\n");
  REQUIRE(r.keys.size() == 2);
  CHECK(r.keys[0].name == "A.b_c-9");
  CHECK(r.keys[0].secret == k_key_a);
  CHECK(r.keys[0].rpm == 100000);
  CHECK(r.keys[0].max_concurrent == 1000);
  CHECK(r.keys[1].secret == k_key_b);
  CHECK(r.keys[1].rpm == 1);

  KeyDefaults pro;
  CHECK(pro.rpm == 60);
  CHECK(pro.max_concurrent == 10);
}

TEST_CASE("keys file: a key file is relative to the keys file's folder, whatever the working directory") {
  test::TempDir dir;
  test::write_file(dir / "conf/keys.yaml", "keys:\n  - {name: intern, file: secret/intern.key}\n");
  test::write_file(dir / "conf/secret/intern.key", k_key_intern);
  fs::permissions(dir / "conf/keys.yaml", fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(dir / "conf/secret/intern.key", fs::perms::owner_read);
  auto r = load_keys_file(dir / "conf/keys.yaml", {}, [](const std::string&) { return std::nullopt; });
  INFO((r ? "" : r.error().message));
  REQUIRE(r.ok());
  REQUIRE(r->keys.size() == 1);
  CHECK(r->keys[0].secret == k_key_intern);
  CHECK(r->keys[0].rpm == 60);
  CHECK(r->keys[0].max_concurrent == 10);
  CHECK(r->warnings.empty());
}

TEST_CASE("keys file: the file's shape, each error at its place") {
  KeysProject p;
  CHECK(p.errors("") ==
        "keys.yaml:1:1: keys file is empty; it needs keys: with at least one key, such as keys: "
        "[{name: studio-a, env: APIXO_KEY_A}]\n");
  CHECK(p.errors("# only a comment\n") ==
        "keys.yaml:1:1: keys file is empty; it needs keys: with at least one key, such as keys: "
        "[{name: studio-a, env: APIXO_KEY_A}]\n");
  CHECK(p.errors("- {name: a, env: APIXO_KEY_A}\n") ==
        "keys.yaml:1:1: a keys file is a mapping with one list, keys:, such as keys: [{name: studio-a, env: "
        "APIXO_KEY_A}]\n");
  CHECK(p.errors("key:\n  - {name: a, env: APIXO_KEY_A}\n") ==
        "keys.yaml:1:1: unknown key 'key'; did you mean 'keys'?\n"
        "keys.yaml:1:1: missing keys:; list at least one key, such as keys: [{name: studio-a, env: APIXO_KEY_A}]\n");
  CHECK(p.errors("keys:\n  - {name: a, env: APIXO_KEY_A}\nprices: x\n") ==
        "keys.yaml:3:1: unknown key 'prices'; a keys file holds only keys:\n");
  CHECK(p.errors("keys: []\n") ==
        "keys.yaml:1:7: keys: must be a list of at least one key, such as keys: [{name: studio-a, env: "
        "APIXO_KEY_A}]\n");
  CHECK(p.errors("keys:\n") ==
        "keys.yaml:1:1: keys: must be a list of at least one key, such as keys: [{name: studio-a, env: "
        "APIXO_KEY_A}]\n");
  CHECK(p.errors("keys:\n  - studio-a\n") ==
        "keys.yaml:2:5: keys[1]: each key is a mapping such as {name: studio-a, env: APIXO_KEY_A}\n");
  // yaml_tree's own errors come through unchanged.
  CHECK(p.errors("keys:\n  - {name: a, name: b, env: APIXO_KEY_A}\n") ==
        "keys.yaml:2:15: duplicate key 'name' (first at line 2)\n");
}

TEST_CASE("keys file: names, each error at its place") {
  KeysProject p;
  CHECK(p.errors("keys:\n  - {env: APIXO_KEY_A}\n") ==
        "keys.yaml:2:5: keys[1]: missing name:; give each key a name such as studio-a\n");
  CHECK(p.errors("keys:\n  - {name: , env: APIXO_KEY_A}\n") ==
        "keys.yaml:2:6: keys[1]: name is empty; give it a name such as studio-a\n");
  CHECK(p.errors("keys:\n  - {name: \"\", env: APIXO_KEY_A}\n") ==
        "keys.yaml:2:12: keys[1]: name is empty; give it a name such as studio-a\n");
  const std::string rule = "a name has 1 to 64 letters, digits, '.', '_' or '-' (such as studio-a)";
  CHECK(p.errors("keys:\n  - {name: studio a, env: APIXO_KEY_A}\n") == "keys.yaml:2:12: keys[1]: " + rule + "\n");
  CHECK(p.errors("keys:\n  - {name: studio/a, env: APIXO_KEY_A}\n") == "keys.yaml:2:12: keys[1]: " + rule + "\n");
  CHECK(p.errors("keys:\n  - {name: .., env: APIXO_KEY_A}\n") == "keys.yaml:2:12: keys[1]: " + rule + "\n");
  CHECK(p.errors("keys:\n  - {name: " + std::string(65, 'a') + ", env: APIXO_KEY_A}\n") ==
        "keys.yaml:2:12: keys[1]: " + rule + "\n");
  CHECK(p.parse_ok("keys:\n  - {name: " + std::string(64, 'a') + ", env: APIXO_KEY_A}\n").keys.size() == 1);

  CHECK(p.errors("keys:\n"
                 "  - {name: studio-a, env: APIXO_KEY_A}\n"
                 "  - {name: studio-a, env: APIXO_KEY_B}\n") ==
        "keys.yaml:3:12: name 'studio-a' is already used at line 2; names must differ (in more than case)\n");
  CHECK(p.errors("keys:\n"
                 "  - {name: studio-a, env: APIXO_KEY_A}\n"
                 "  - {name: Studio-A, env: APIXO_KEY_B}\n") ==
        "keys.yaml:3:12: name 'Studio-A' is already used as 'studio-a' at line 2; names must differ (in more "
        "than case)\n");
}

TEST_CASE("keys file: unknown fields are refused, with the near name") {
  KeysProject p;
  CHECK(p.errors("keys:\n  - {name: a, env: APIXO_KEY_A, max_concurent: 3}\n") ==
        "keys.yaml:2:33: key 'a': unknown field 'max_concurent'; did you mean 'max_concurrent'?\n");
  CHECK(p.errors("keys:\n  - {name: a, env: APIXO_KEY_A, rmp: 3}\n") ==
        "keys.yaml:2:33: key 'a': unknown field 'rmp'; did you mean 'rpm'?\n");
  CHECK(p.errors("keys:\n  - {name: a, envv: APIXO_KEY_A}\n") ==
        "keys.yaml:2:5: key 'a': say where the key is: env: VARIABLE or file: PATH\n"
        "keys.yaml:2:15: key 'a': unknown field 'envv'; did you mean 'env'?\n");
  CHECK(p.errors("keys:\n  - {name: a, env: APIXO_KEY_A, plan: pro}\n") ==
        "keys.yaml:2:33: key 'a': unknown field 'plan'; a key has name, env, file, rpm and max_concurrent\n");
}

TEST_CASE("keys file: exactly one of env and file") {
  KeysProject p;
  CHECK(p.errors("keys:\n  - {name: a, rpm: 5}\n") ==
        "keys.yaml:2:5: key 'a': say where the key is: env: VARIABLE or file: PATH\n");
  CHECK(p.errors("keys:\n  - {name: a, env: APIXO_KEY_A, file: keys/intern.key}\n") ==
        "keys.yaml:2:33: key 'a': both env: and file:; a key comes from one of them, keep one\n");
  CHECK(p.errors("keys:\n  - {name: a, file: keys/intern.key, env: APIXO_KEY_A}\n") ==
        "keys.yaml:2:38: key 'a': both env: and file:; a key comes from one of them, keep one\n");
  CHECK(p.errors("keys:\n  - {name: a, env: }\n") ==
        "keys.yaml:2:15: key 'a': env: is empty; give a variable's name such as APIXO_KEY_A\n");
  CHECK(p.errors("keys:\n  - {name: a, file: [x]}\n") ==
        "keys.yaml:2:21: key 'a': file: must be a file's path such as keys/intern.key, not a list or mapping\n");
  CHECK(p.errors("keys:\n  - {name: a, env: 1ABC}\n") ==
        "keys.yaml:2:20: key 'a': env: names an environment variable (letters, digits and '_', such as "
        "APIXO_KEY_A); the key itself goes in that variable, never in this file\n");
}

TEST_CASE("keys file: rpm and max_concurrent are whole numbers in range, never floats, strings or booleans") {
  KeysProject p;
  auto entry = [](const std::string& field) { return "keys:\n  - {name: a, env: APIXO_KEY_A, " + field + "}\n"; };
  const std::string rpm = "keys.yaml:2:38: key 'a': rpm must be a whole number from 1 to 100000";
  CHECK(p.errors(entry("rpm: 4.0")) == rpm + " (got 4.0)\n");
  CHECK(p.errors(entry("rpm: 1e3")) == rpm + " (got 1e3)\n");
  CHECK(p.errors(entry("rpm: true")) == rpm + " (got true)\n");
  CHECK(p.errors(entry("rpm: \"60\"")) == rpm + " (got the string \"60\"); write it without quotes: rpm: 60\n");
  CHECK(p.errors(entry("rpm: fast")) == rpm + " (got fast)\n");
  CHECK(p.errors(entry("rpm: 0")) == rpm + " (got 0)\n");
  CHECK(p.errors(entry("rpm: -5")) == rpm + " (got -5)\n");
  CHECK(p.errors(entry("rpm: 100001")) == rpm + " (got 100001)\n");
  CHECK(p.errors(entry("rpm: [60]")) == rpm + " (got a list or mapping)\n");
  CHECK(p.errors(entry("rpm: ")) ==
        "keys.yaml:2:33: key 'a': rpm must be a whole number from 1 to 100000 (got nothing)\n");
  const std::string mc = "keys.yaml:2:49: key 'a': max_concurrent must be a whole number from 1 to 1000";
  CHECK(p.errors(entry("max_concurrent: 1001")) == mc + " (got 1001)\n");
  CHECK(p.errors(entry("max_concurrent: 2.5")) == mc + " (got 2.5)\n");
  CHECK(p.errors(entry("max_concurrent: 'ten'")) == mc + " (got the string \"ten\")\n");
}

TEST_CASE("keys file: a key missing from its variable names the entry and the variable") {
  KeysProject p;
  p.env["EMPTY"] = "";
  p.env["BLANK"] = " \n\t ";
  p.env["TWO_LINES"] = k_key_a + "\n" + k_key_b + "\n";
  p.env["SPACE"] = "sk-half one";
  auto entry = [](const std::string& var) { return "keys:\n  - {name: b, env: " + var + "}\n"; };
  CHECK(p.errors(entry("APIXO_KEY_C")) ==
        "keys.yaml:2:20: key 'b': variable APIXO_KEY_C is not set; set it to the key before running reelq\n");
  CHECK(p.errors(entry("EMPTY")) ==
        "keys.yaml:2:20: key 'b': variable EMPTY is empty; set it to the key before running reelq\n");
  CHECK(p.errors(entry("BLANK")) ==
        "keys.yaml:2:20: key 'b': variable BLANK is empty; set it to the key before running reelq\n");
  CHECK(p.errors(entry("TWO_LINES")) ==
        "keys.yaml:2:20: key 'b': variable TWO_LINES holds 2 non-empty lines; the variable must hold only the key, "
        "on one line\n");
  std::string space = p.errors(entry("SPACE"));
  CHECK(space ==
        "keys.yaml:2:20: key 'b': variable SPACE holds white space or control characters inside the key; a key is a "
        "single token\n");
  CHECK(space.find("half") == std::string::npos);
}

TEST_CASE("keys file: a wrong key file names the entry and the file, never what it holds") {
  KeysProject p;
  auto entry = [](const std::string& file) { return "keys:\n  - {name: c, file: " + file + "}\n"; };
  const std::string at = "keys.yaml:2:21: key 'c': file ";
  CHECK(p.errors(entry("keys/none.key")) == at + "keys/none.key not found\n");
  fs::create_directories(p.dir / "keys/dir.key");
  CHECK(p.errors(entry("keys/dir.key")) == at + "keys/dir.key is not a regular file\n");
  p.key_file("empty.key", "\n  \n");
  CHECK(p.errors(entry("empty.key")) == at + "empty.key is empty; put the key in it\n");
  p.key_file("big.key", k_key_a + std::string(4096, ' '));
  CHECK(p.errors(entry("big.key")) ==
        at + "big.key is 4115 bytes; a key file holds only the key (at most 4096 bytes): is it the right file?\n");
  p.key_file("edge.key", k_key_a + std::string(4096 - k_key_a.size(), '\n'));
  CHECK(p.parse_ok(entry("edge.key")).keys.at(0).secret == k_key_a);
  p.key_file("nul.key", k_key_a + std::string(1, '\0'));
  CHECK(p.errors(entry("nul.key")) ==
        at + "nul.key holds NUL bytes; the file must hold only the key, as text: is it the right one?\n");
  // The keys file named by mistake: lines that look like YAML, one holding a key.
  p.key_file("wrong.yaml", "keys:\n  - {name: x, env: X}\ntoken: " + k_key_a + "\n");
  CHECK(p.errors(entry("wrong.yaml")) ==
        at + "wrong.yaml holds 3 non-empty lines; the file must hold only the key, on one line\n");
  p.key_file("tabbed.key", k_key_a + "\t" + k_key_b);
  CHECK(p.errors(entry("tabbed.key")) ==
        at + "tabbed.key holds white space or control characters inside the key; a key is a single token\n");
}

TEST_CASE("keys file: one key under two names is refused (each entry would get the key's caps)") {
  KeysProject p;
  p.env["SAME_AS_A"] = k_key_a;
  p.key_file("a.key", k_key_a);
  CHECK(p.errors("keys:\n"
                 "  - {name: a, env: APIXO_KEY_A}\n"
                 "  - {name: b, env: APIXO_KEY_B}\n"
                 "  - {name: c, file: a.key}\n") ==
        "keys.yaml:4:21: key 'c': the same key as 'a' (line 2, fingerprint " + key_fingerprint(k_key_a) +
            "); a key listed twice would be driven past its caps: list it once\n");
}

TEST_CASE("keys file: every problem at once, in document order; no key read for a broken entry") {
  KeysProject p;
  int lookups = 0;
  auto counting = [&](const std::string& name) -> std::optional<std::string> {
    ++lookups;
    return name == "APIXO_KEY_A" ? std::optional<std::string>(k_key_a) : std::nullopt;
  };
  Diagnostics diags;
  auto r = parse_keys_file(
      "keys:\n"
      "  - {name: a, env: APIXO_KEY_A, rpm: 4.0}\n"
      "  - {name: b, env: UNSET}\n"
      "  - {name: a, file: keys/intern.key}\n",
      {"keys.yaml", p.dir.path()}, {}, counting, &diags);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "keys.yaml:2:38: key 'a': rpm must be a whole number from 1 to 100000 (got 4.0)\n"
        "keys.yaml:3:20: key 'b': variable UNSET is not set; set it to the key before running reelq\n"
        "keys.yaml:4:12: name 'a' is already used at line 2; names must differ (in more than case)\n");
  REQUIRE(diags.size() == 3);
  CHECK(diags[2].pos.line == 4);
  CHECK(diags[2].pos.col == 12);
  CHECK(lookups == 1);  // b's variable; a's entry was broken, so its key was never read
}

TEST_CASE("keys file: a key file or keys file readable by others draws a warning, not an error") {
  test::TempDir dir;
  test::write_file(dir / "conf/keys.yaml",
                   "keys:\n"
                   "  - {name: open, file: open.key}\n"
                   "  - {name: closed, file: closed.key}\n"
                   "  - {name: group, file: group.key}\n");
  test::write_file(dir / "conf/open.key", k_key_a);
  test::write_file(dir / "conf/closed.key", k_key_b);
  test::write_file(dir / "conf/group.key", k_key_intern);
  auto rw = fs::perms::owner_read | fs::perms::owner_write;
  fs::permissions(dir / "conf/open.key", rw | fs::perms::others_read);
  fs::permissions(dir / "conf/closed.key", fs::perms::owner_read);
  fs::permissions(dir / "conf/group.key", rw | fs::perms::group_read);
  fs::permissions(dir / "conf/keys.yaml", rw);

  auto nobody = [](const std::string&) { return std::nullopt; };
  auto text = test::read_file(dir / "conf/keys.yaml");
  auto parsed = parse_keys_file(text, {"conf/keys.yaml", dir / "conf"}, {}, nobody);
  REQUIRE(parsed.ok());
  CHECK(parsed->keys.size() == 3);
  std::vector<std::string> expected = {
      "conf/keys.yaml:2:24: key 'open': conf/open.key is readable by group or others; chmod 600 conf/open.key",
      "conf/keys.yaml:4:25: key 'group': conf/group.key is readable by group or others; chmod 600 conf/group.key",
  };
  CHECK(parsed->warnings == expected);

  fs::permissions(dir / "conf/open.key", rw);
  fs::permissions(dir / "conf/group.key", rw);
  auto loaded = load_keys_file(dir / "conf/keys.yaml", {}, nobody);
  REQUIRE(loaded.ok());
  CHECK(loaded->warnings.empty());
  fs::permissions(dir / "conf/keys.yaml", rw | fs::perms::group_read | fs::perms::others_read);
  loaded = load_keys_file(dir / "conf/keys.yaml", {}, nobody);
  REQUIRE(loaded.ok());
  std::string shown = (dir / "conf/keys.yaml").string();
  expected = {shown + ": readable by group or others; chmod 600 " + shown};
  CHECK(loaded->warnings == expected);
  for (const auto& w : loaded->warnings) {
    CHECK_FALSE(holds_part_of(w, k_key_a));
  }
}

TEST_CASE("keys file: no part of a key in any message, even where the user put the key itself") {
  KeysProject p;
  // The key pasted where its variable's name belongs: refused without quoting it.
  std::string pasted = p.errors("keys:\n  - {name: a, env: " + k_key_a + "}\n");
  CHECK(pasted.starts_with("keys.yaml:2:20: key 'a': env: names an environment variable"));
  // The key used as a name: refused (it would be stored with every submit and shown in every
  // refusal), the name redacted in the message.
  p.key_file("a.key", k_key_a, fs::perms::owner_read | fs::perms::others_read);
  std::string named = p.errors("keys:\n  - {name: " + k_key_a + ", file: a.key}\n");
  CHECK(named.find("keys.yaml:2:12: the name '[key]' is a key itself") != std::string::npos);
  CHECK_FALSE(holds_part_of(named, k_key_a));
  // And in an error of another entry.
  std::string clash =
      p.errors("keys:\n  - {name: " + k_key_a + ", file: a.key}\n  - {name: " + k_key_a + ", env: APIXO_KEY_B}\n");
  CHECK(clash.find("keys.yaml:3:12: name '[key]' is already used at line 2; names must differ (in more than case)\n") !=
        std::string::npos);
  CHECK_FALSE(holds_part_of(clash, k_key_a));
}

TEST_CASE("load_keys_file: a missing, odd or oversized keys file") {
  test::TempDir dir;
  auto nobody = [](const std::string&) { return std::nullopt; };
  std::string missing = (dir / "none.yaml").string();
  auto r = load_keys_file(missing, {}, nobody);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::input);
  CHECK(r.error().message == missing + ": not found; give the keys file's path (--keys FILE)\n");
  r = load_keys_file(dir.path(), {}, nobody);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        dir.path().string() + ": is not a regular file; give the keys file's path (--keys FILE)\n");
  test::write_file(dir / "big.yaml", "keys:\n" + std::string(k_max_keys_file_bytes, '#'));
  r = load_keys_file(dir / "big.yaml", {}, nobody);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == (dir / "big.yaml").string() +
                                 ": is 1048582 bytes; a keys file is at most 1048576 bytes: is it the right file?\n");
}

TEST_CASE("key fingerprint: 12 hex digits, stable, different per key, nothing of the key in it") {
  // Pinned against an independent computation: python3 -c "import hashlib; print(hashlib.sha256(
  // b'reelq key fingerprint v1\n' + b'sk-A1b2C3d4E5f6G7h8').hexdigest()[:12])"
  CHECK(key_fingerprint(k_key_a) == "615bd0230307");
  CHECK(key_fingerprint(k_key_b) == "c1915aa306b9");
  CHECK(key_fingerprint(k_key_a) == key_fingerprint(std::string(k_key_a)));
  CHECK(key_fingerprint(k_key_a) != key_fingerprint(k_key_a + "x"));
  std::vector<std::string> keys = {k_key_a, k_key_b, k_key_intern, "0123456789abcdef0123456789abcdef"};
  for (const auto& k : keys) {
    std::string fp = key_fingerprint(k);
    CHECK(fp.size() == 12);
    CHECK(fp.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK_FALSE(holds_part_of(fp, k));
    CHECK(fp.find(k.substr(0, 8)) == std::string::npos);
  }
  // Not a plain SHA-256 of the key: the prefix keeps it apart from digests other tools show.
  CHECK(key_fingerprint(k_key_a) != sha256_hex(k_key_a).substr(0, 12));
}

TEST_CASE("a key pasted as a name, or after env:, is refused or left unquoted, never stored or shown") {
  KeysProject p;
  p.env["KA"] = "keyAAAAsecret111";
  // The key of another entry as a name: refused at its line, the message redacted.
  auto named = p.parse("keys:\n  - {name: a, env: KA}\n  - {name: keyAAAAsecret111, env: APIXO_KEY_B}\n");
  REQUIRE_FALSE(named.ok());
  CHECK(named.error().message.find("keys.yaml:3:") != std::string::npos);
  CHECK(named.error().message.find("is a key itself") != std::string::npos);
  CHECK_FALSE(holds_part_of(named.error().message, "keyAAAAsecret111"));
  // A key after env: that is a valid variable's name but not set: not quoted back.
  auto env = p.parse("keys:\n  - {name: b, env: keyBBBBsecret222}\n");
  REQUIRE_FALSE(env.ok());
  CHECK(env.error().message.find("looks like a key") != std::string::npos);
  CHECK_FALSE(holds_part_of(env.error().message, "keyBBBBsecret222"));
  // An ordinary variable's name is still named.
  auto plain = p.parse("keys:\n  - {name: c, env: STUDIO_C}\n");
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.error().message.find("variable STUDIO_C is not set") != std::string::npos);
}
