#include "manifest/job_input.h"

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

}  // namespace reelq
