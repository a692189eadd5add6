#pragma once
// How long a render is likely to take, learned from the renders already seen.
//
// Prior: the API page's "about 3 minutes" for an 8 s video, longer for 12 s and for 1080p or the
// large sizes, shorter for 4 s. Every finished render teaches one number: how its time compares
// to the prior for its class. With a few samples the whole prior is rescaled by their median; a
// class with enough samples of its own uses its own.
#include <map>
#include <string>
#include <vector>

#include "util/clock.h"

namespace reelq {

// The API page's "about 3 minutes" for an 8 s video at 720p: the prior before any render is seen.
constexpr TimeMs k_prior_render_ms = 180000;

struct RenderEstimate {
  TimeMs median = 0;
  TimeMs early = 0;  // about the 5th percentile: little point polling before
  TimeMs late = 0;   // about the 90th percentile: a task past this is an outlier
  bool learned = false;
};

class RenderModel {
 public:
  // `prior_8s` is the prior for an 8 s 720p render (already time-scaled).
  explicit RenderModel(TimeMs prior_8s) : m_prior_8s(prior_8s) {}

  void observe(const std::string& input_json, TimeMs duration);
  // Cheap: the runner asks for every open job on every turn of its loop, so the quantiles are
  // computed once per class and kept until the next observation.
  RenderEstimate estimate(const std::string& input_json) const;

  // The prior's relative weight of a job (used to start the longest jobs first).
  static double class_factor(const std::string& input_json);

 private:
  TimeMs m_prior_8s;
  RenderEstimate compute(const std::string& key, double prior) const;

  std::map<std::string, std::vector<double>> m_ratios_by_class;  // observed / prior
  std::vector<double> m_ratios;
  mutable std::map<std::string, RenderEstimate> m_cache;  // by class; cleared by observe()
};

}  // namespace reelq
