#include "sched/render_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace reelq {

namespace {

constexpr size_t k_min_samples = 3;              // before this many renders, the prior alone
constexpr size_t k_max_samples = 200;            // per class: the newest, so a change of pace is followed
constexpr double k_prior_sigma = 0.15;           // log spread assumed before any is measured
constexpr double k_prior_sigma_weight = 4;       // ... worth this many degrees of freedom
constexpr double k_prior_between = 0.05 * 0.05;  // classes may stray from the prior factors by ~5%
constexpr double k_prior_between_weight = 4;     // ... a belief worth this many classes' evidence
constexpr double k_z05 = 1.645;
constexpr double k_z90 = 1.2816;

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

RenderModel::ClassId RenderModel::class_of(const RenderSpec& spec) {
  std::string key = render_class_key(spec);
  auto [it, added] = m_ids.try_emplace(key, static_cast<ClassId>(m_classes.size()));
  if (added) {
    m_classes.push_back({std::move(key), static_cast<double>(m_prior_8s) * spec.time_factor, {}, std::nullopt});
  }
  return it->second;
}

void RenderModel::observe(ClassId cls, TimeMs duration) {
  if (duration <= 0 || cls < 0 || cls >= classes()) {
    return;
  }
  Class& c = m_classes[static_cast<size_t>(cls)];
  c.log_ratios.push_back(std::log(static_cast<double>(duration) / c.prior));
  if (c.log_ratios.size() > k_max_samples) {
    c.log_ratios.erase(c.log_ratios.begin());
  }
  for (Class& other : m_classes) {
    other.cached.reset();
  }
  m_pooled.reset();
}

RenderEstimate RenderModel::estimate(ClassId cls) const {
  Class& c = m_classes.at(static_cast<size_t>(cls));
  if (!c.cached) {
    c.cached = compute(c);
  }
  return *c.cached;
}

const RenderModel::Pooled& RenderModel::pooled() const {
  if (m_pooled) {
    return *m_pooled;
  }
  Pooled p;
  double sum = 0;
  double within = 0;  // sum of squares around each class's own mean
  double df = 0;
  for (const Class& c : m_classes) {
    const std::vector<double>& v = c.log_ratios;
    if (v.empty()) {
      continue;
    }
    double m = mean_of(v);
    sum += m * static_cast<double>(v.size());
    p.count += v.size();
    for (double x : v) {
      within += (x - m) * (x - m);
    }
    df += static_cast<double>(v.size() - 1);
  }
  p.mean = p.count ? sum / static_cast<double>(p.count) : 0;
  p.sigma2 = (within + k_prior_sigma_weight * k_prior_sigma * k_prior_sigma) / (df + k_prior_sigma_weight);
  // Method of moments: the spread of class means around the pooled mean, less what noise alone
  // would give them, blended with the prior belief: two or three classes alone say little, and
  // one odd class must not convince the model by itself that classes differ.
  double between = 0;
  double classes = 0;
  for (const Class& c : m_classes) {
    const std::vector<double>& v = c.log_ratios;
    if (v.empty()) {
      continue;
    }
    double d = mean_of(v) - p.mean;
    between += d * d - p.sigma2 / static_cast<double>(v.size());
    classes += 1;
  }
  double df_between = std::max(0.0, classes - 1);
  p.between2 = std::max(1e-6, (std::max(0.0, between) + k_prior_between_weight * k_prior_between) /
                                  (df_between + k_prior_between_weight));
  m_pooled = p;
  return *m_pooled;
}

RenderEstimate RenderModel::compute(const Class& c) const {
  const Pooled& p = pooled();
  const double prior = c.prior;
  RenderEstimate e;
  if (p.count < k_min_samples) {
    e.sigma = std::sqrt(p.sigma2);
    e.median = static_cast<TimeMs>(prior);
    e.early = static_cast<TimeMs>(prior * 0.75);
    e.late = static_cast<TimeMs>(prior * 1.3);
    return e;
  }
  double location = p.mean;
  double location_var = p.sigma2 / static_cast<double>(p.count) + p.between2;  // a class never seen
  if (!c.log_ratios.empty()) {
    double noise = p.sigma2 / static_cast<double>(c.log_ratios.size());
    double w = p.between2 / (p.between2 + noise);
    location = p.mean + w * (mean_of(c.log_ratios) - p.mean);
    location_var = w * noise;
  }
  e.learned = true;
  e.sigma = std::sqrt(p.sigma2 + location_var);
  e.median = static_cast<TimeMs>(prior * std::exp(location));
  e.early = static_cast<TimeMs>(prior * std::exp(location - k_z05 * e.sigma));
  e.late = static_cast<TimeMs>(prior * std::exp(location + k_z90 * e.sigma));
  return e;
}

}  // namespace reelq
