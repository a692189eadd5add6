#include "cost/render_prior.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

namespace reelq {

RenderSpec render_spec_of(const std::string& input_json) {
  RenderSpec r;
  try {
    Poco::JSON::Parser p;
    auto o = p.parse(input_json).extract<Poco::JSON::Object::Ptr>();
    r.duration = o->optValue<int>("duration", 8);
    r.tier = o->optValue<std::string>("mode", "") == "image-to-video" ? o->optValue<std::string>("resolution", "")
                                                                      : o->optValue<std::string>("size", "");
  } catch (const Poco::Exception&) {
  }
  r.time_factor = render_class_factor(r.duration, r.tier);
  return r;
}

double render_class_factor(int duration, const std::string& tier) {
  double f = duration == 12 ? 1.35 : duration == 4 ? 0.7 : 1.0;
  if (tier == "1080p" || tier == "1024*1792" || tier == "1792*1024") {
    f *= 1.25;
  }
  return f;
}

std::string render_class_key(const RenderSpec& spec) {
  return fmt::format("{}/{}", spec.duration, spec.tier);
}

}  // namespace reelq
