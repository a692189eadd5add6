#include "api/request.h"

#include <fmt/format.h>

#include "util/text.h"

namespace reelq {

std::string input_json(const JobSpec& spec) {
  std::string out = fmt::format("{{\"mode\":\"{}\",\"prompt\":{},\"duration\":{}", to_string(spec.mode),
                                json_quote(spec.prompt), spec.duration);
  if (spec.mode == Mode::text_to_video) {
    out += fmt::format(",\"size\":{}", json_quote(spec.size));
  } else {
    out += fmt::format(",\"resolution\":{},\"image_urls\":[", json_quote(spec.resolution));
    for (size_t i = 0; i < spec.images.size(); ++i) {
      out += (i ? "," : "") + json_quote(spec.images[i]);
    }
    out += "]";
  }
  return out + "}";
}

std::string generate_body(const std::string& input, RequestType type, const std::string& callback_url) {
  if (type == RequestType::callback) {
    return fmt::format(R"({{"request_type":"callback","callback_url":{},"provider":"official","input":{}}})",
                       json_quote(callback_url), input);
  }
  return fmt::format(R"({{"request_type":"async","provider":"official","input":{}}})", input);
}

}  // namespace reelq
