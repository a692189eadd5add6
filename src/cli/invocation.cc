#include "cli/invocation.h"

#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

std::string g_reelq_command = "reelq";

// The file PATH finds for `name`, as execvp would look (first executable match), or "".
fs::path find_on_path(std::string_view name, std::string_view path_env) {
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t end = path_env.find(':', start);
    if (end == std::string_view::npos) {
      end = path_env.size();
    }
    // An empty entry means the current folder, which a shell also searches.
    fs::path dir(path_env.substr(start, end - start));
    fs::path candidate = (dir.empty() ? fs::path(".") : dir) / name;
    std::error_code ec;
    auto st = fs::status(candidate, ec);
    if (!ec && fs::is_regular_file(st) && (st.permissions() & fs::perms::owner_exec) != fs::perms::none) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

}  // namespace

std::string invoked_as(std::string_view argv0, std::string_view path_env, const fs::path& cwd) {
  if (argv0.find('/') == std::string_view::npos) {
    return argv0.empty() ? "reelq" : shell_word(std::string(argv0));
  }
  fs::path given(argv0);
  fs::path absolute = (given.is_absolute() ? given : cwd / given).lexically_normal();
  fs::path on_path = find_on_path("reelq", path_env);
  std::error_code ec;
  if (!on_path.empty() && fs::equivalent(on_path, absolute, ec) && !ec) {
    return "reelq";
  }
  return shell_word(absolute.string());
}

void set_reelq_command(std::string command) {
  g_reelq_command = std::move(command);
}

const std::string& reelq_command() {
  return g_reelq_command;
}

std::string reelq_line(std::string_view args) {
  return g_reelq_command + " " + std::string(args);
}

}  // namespace reelq
