#pragma once
// How long a render is likely to take, learned from the renders already seen.
//
// Prior: the API page's "about 3 minutes" for an 8 s video, longer for 12 s and for 1080p or the
// large sizes, shorter for 4 s. Every finished render teaches one number: the log of its time over
// the prior for its class. The model is log-normal:
//  - location: the mean of all renders' log ratios (how fast the API is today), moved towards a
//    class's own mean as far as the evidence says that class differs (an empirical-Bayes shrink:
//    two samples of a class that agrees with the prior factors barely move it, twenty samples of a
//    class that renders twice as slow as the prior says move it all the way);
//  - spread: the pooled within-class standard deviation of the log ratios, blended with a prior
//    spread while few are seen, widened by the uncertainty of the location.
// Pooling matters: a class's 5th percentile from its own three samples is just its fastest one,
// and polls timed by it missed every render faster than that (seen up to 20 s late).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cost/render_prior.h"
#include "util/clock.h"

namespace reelq {

struct RenderEstimate {
  TimeMs median = 0;
  TimeMs early = 0;  // about the 5th percentile: little point polling before
  TimeMs late = 0;   // about the 90th percentile: a task past this is an outlier
  double sigma = 0;  // the spread of log(render time): the distribution is log-normal(median, sigma)
  bool learned = false;
};

class RenderModel {
 public:
  // `prior_8s` is the prior for an 8 s 720p render (already time-scaled).
  explicit RenderModel(TimeMs prior_8s) : m_prior_8s(prior_8s) {}

  // A job's class, once per job (the run's job table keeps it): classes are few, jobs many.
  using ClassId = int;
  ClassId class_of(const RenderSpec& spec);
  ClassId class_of(const std::string& input_json) { return class_of(render_spec_of(input_json)); }

  void observe(ClassId cls, TimeMs duration);
  // Computed once per class and kept until the next observation: the planner asks for the
  // estimate of every class and of every task at the API, on every turn.
  RenderEstimate estimate(ClassId cls) const;
  int classes() const { return static_cast<int>(m_classes.size()); }

 private:
  struct Class {
    std::string key;                       // render_class_key
    double prior = 0;                      // its prior median, ms
    std::vector<double> log_ratios;        // log(observed / prior), newest last
    std::optional<RenderEstimate> cached;  // cleared by observe()
  };
  struct Pooled {
    double mean = 0;      // of every sample's log ratio
    double sigma2 = 0;    // within-class variance of log ratios, blended with the prior's
    double between2 = 0;  // how far class means stray from the pooled mean, beyond noise
    size_t count = 0;
  };
  RenderEstimate compute(const Class& c) const;
  const Pooled& pooled() const;

  TimeMs m_prior_8s;
  mutable std::vector<Class> m_classes;    // by ClassId
  std::map<std::string, ClassId> m_ids;    // by key
  mutable std::optional<Pooled> m_pooled;  // cleared by observe()
};

}  // namespace reelq
