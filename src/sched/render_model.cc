#include "sched/render_model.h"

#include <algorithm>

namespace reelq {

namespace {

constexpr size_t k_min_samples = 3;
constexpr size_t k_max_samples = 200;

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

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void push_capped(std::vector<double>& v, double x) {
  v.push_back(x);
  if (v.size() > k_max_samples) {
    v.erase(v.begin());
  }
}

}  // namespace

double RenderModel::class_factor(const std::string& input) {
  double f = contains(input, "\"duration\":12") ? 1.35 : contains(input, "\"duration\":4") ? 0.7 : 1.0;
  if (contains(input, "1080p") || contains(input, "1024*1792") || contains(input, "1792*1024")) {
    f *= 1.25;
  }
  return f;
}

void RenderModel::observe(const std::string& input_json, TimeMs duration) {
  if (duration <= 0) {
    return;
  }
  double prior = static_cast<double>(m_prior_8s) * class_factor(input_json);
  double ratio = static_cast<double>(duration) / prior;
  push_capped(m_ratios, ratio);
  push_capped(m_ratios_by_class[class_key(input_json)], ratio);
  m_cache.clear();
}

RenderEstimate RenderModel::estimate(const std::string& input_json) const {
  std::string key = class_key(input_json);
  auto cached = m_cache.find(key);
  if (cached != m_cache.end()) {
    return cached->second;
  }
  RenderEstimate e = compute(key, static_cast<double>(m_prior_8s) * class_factor(input_json));
  m_cache.emplace(std::move(key), e);
  return e;
}

RenderEstimate RenderModel::compute(const std::string& key, double prior) const {
  auto it = m_ratios_by_class.find(key);
  const std::vector<double>* samples = nullptr;
  if (it != m_ratios_by_class.end() && it->second.size() >= k_min_samples) {
    samples = &it->second;
  } else if (m_ratios.size() >= k_min_samples) {
    samples = &m_ratios;
  }
  RenderEstimate e;
  if (!samples) {
    e.median = static_cast<TimeMs>(prior);
    e.early = static_cast<TimeMs>(prior * 0.75);
    e.late = static_cast<TimeMs>(prior * 1.3);
    return e;
  }
  e.learned = true;
  e.median = static_cast<TimeMs>(prior * quantile(*samples, 0.5));
  e.early = static_cast<TimeMs>(prior * quantile(*samples, 0.05));
  e.late = static_cast<TimeMs>(prior * quantile(*samples, 0.9));
  return e;
}

}  // namespace reelq
