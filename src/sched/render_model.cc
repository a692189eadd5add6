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

bool contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

// The class of a job: what changes its render time. input_json is canonical (api/request.h).
std::string class_key(const std::string& input) {
  std::string key = contains(input, "\"duration\":12") ? "12" : contains(input, "\"duration\":4") ? "4" : "8";
  for (const char* v : {"720*1280", "1280*720", "1024*1792", "1792*1024", "\"720p\"", "\"1080p\""}) {
    if (contains(input, v)) {
      key += std::string("/") + v;
    }
  }
  return key;
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

void RenderModel::observe(const std::string& input_json, TimeMs duration) {
  if (duration <= 0) {
    return;
  }
  double prior = static_cast<double>(m_prior_8s) * render_class_factor(input_json);
  auto& v = m_log_ratios_by_class[class_key(input_json)];
  v.push_back(std::log(static_cast<double>(duration) / prior));
  if (v.size() > k_max_samples) {
    v.erase(v.begin());
  }
  m_cache.clear();
  m_pooled.reset();
}

RenderEstimate RenderModel::estimate(const std::string& input_json) const {
  std::string key = class_key(input_json);
  auto cached = m_cache.find(key);
  if (cached != m_cache.end()) {
    return cached->second;
  }
  RenderEstimate e = compute(key, static_cast<double>(m_prior_8s) * render_class_factor(input_json));
  m_cache.emplace(std::move(key), e);
  return e;
}

const RenderModel::Pooled& RenderModel::pooled() const {
  if (m_pooled) {
    return *m_pooled;
  }
  Pooled p;
  double sum = 0;
  double within = 0;  // sum of squares around each class's own mean
  double df = 0;
  for (const auto& [key, v] : m_log_ratios_by_class) {
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
  for (const auto& [key, v] : m_log_ratios_by_class) {
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

RenderEstimate RenderModel::compute(const std::string& key, double prior) const {
  const Pooled& p = pooled();
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
  auto it = m_log_ratios_by_class.find(key);
  if (it != m_log_ratios_by_class.end()) {
    double noise = p.sigma2 / static_cast<double>(it->second.size());
    double w = p.between2 / (p.between2 + noise);
    location = p.mean + w * (mean_of(it->second) - p.mean);
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
