#include "cost/render_prior.h"

namespace reelq {

namespace {

bool contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

double render_class_factor(const std::string& input) {
  double f = contains(input, "\"duration\":12") ? 1.35 : contains(input, "\"duration\":4") ? 0.7 : 1.0;
  if (contains(input, "1080p") || contains(input, "1024*1792") || contains(input, "1792*1024")) {
    f *= 1.25;
  }
  return f;
}

}  // namespace reelq
