#pragma once
// The `--notify URL`, checked when the run starts (a webhook found broken at the end of the night
// is a night without its signal). Pure: its tests read the exact text.
#include <string>

#include "util/result.h"

namespace reelq {

struct NotifyTarget {
  std::string url;            // what is POSTed to: the URL without its user:password@
  std::string origin;         // scheme://host[:port], the only part any message names
  std::string authorization;  // "Basic ..." from the URL's user:password@ ("" = none); never printed
};

// `url` as a webhook: http or https, with a host, no spaces or control characters. A refusal
// (ErrorKind::usage, exit 2) names at most the scheme and host: a chat webhook's path, and any
// password in it, are its secret.
Result<NotifyTarget> parse_notify_url(const std::string& url);

// `text` (an error from the network library) with the target's path and credentials cut out, in
// case the library quoted the URL.
std::string without_secrets(const std::string& text, const std::string& url);

}  // namespace reelq
