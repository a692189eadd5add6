#include "api/request.h"

#include <fmt/format.h>

#include "util/text.h"

namespace reelq {

std::string generate_body(const std::string& input, RequestType type, const std::string& callback_url) {
  if (type == RequestType::callback) {
    return fmt::format(R"({{"request_type":"callback","callback_url":{},"provider":"official","input":{}}})",
                       json_quote(callback_url), input);
  }
  return fmt::format(R"({{"request_type":"async","provider":"official","input":{}}})", input);
}

}  // namespace reelq
