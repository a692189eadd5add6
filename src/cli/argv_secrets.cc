#include "cli/argv_secrets.h"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace reelq {

namespace {

// Flags other tools take a key with; `--api-key-file` is reelq's own and is not among them.
constexpr std::array<std::string_view, 5> k_key_flags = {"--api-key", "--apikey", "--key", "--token", "--api_key"};

bool names_a_key_flag(std::string_view arg) {
  for (std::string_view flag : k_key_flags) {
    if (arg == flag || (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=')) {
      return true;
    }
  }
  return false;
}

// apixo's keys and most others start "sk-"; a word of that shape is kept out of messages.
bool shaped_like_a_key(std::string_view word) {
  return word.size() >= 8 && word.substr(0, 3) == "sk-";
}

void replace_all(std::string& text, std::string_view word, std::string_view with) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + with.size())) {
    text.replace(at, word.size(), with);
  }
}

}  // namespace

std::optional<std::string> key_flag_refusal(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (names_a_key_flag(arg)) {
      std::string_view flag = arg.substr(0, arg.find('='));
      return fmt::format(
          "reelq: {} is not an option: reelq never takes the API key on its command line (other users of the "
          "machine can read it there, and the shell keeps it in its history). Set APIXO_API_KEY in the "
          "environment, or give --api-key-file FILE (a file only you can read). Nothing was run.\n",
          flag);
    }
  }
  return std::nullopt;
}

std::string without_secret_words(std::string text, int argc, const char* const* argv, const std::string& env_key) {
  constexpr std::string_view k_hidden = "[not shown: it may be a key]";
  if (!env_key.empty()) {
    replace_all(text, env_key, k_hidden);
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (shaped_like_a_key(word)) {
      replace_all(text, word, k_hidden);
    }
  }
  return text;
}

namespace {
std::vector<std::string>& secret_words() {
  static std::vector<std::string> words;
  return words;
}
}  // namespace

void remember_secret_words(int argc, const char* const* argv) {
  secret_words().clear();
  for (int i = 1; i < argc; ++i) {
    if (shaped_like_a_key(argv[i])) {
      secret_words().emplace_back(argv[i]);
    }
  }
}

std::string hide_secret_words(std::string text) {
  std::vector<const char*> argv = {"reelq"};
  for (const auto& w : secret_words()) {
    argv.push_back(w.c_str());
  }
  const char* key = std::getenv("APIXO_API_KEY");
  return without_secret_words(std::move(text), static_cast<int>(argv.size()), argv.data(), key ? key : "");
}

}  // namespace reelq
