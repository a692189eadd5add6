#include "cost/estimate.h"

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "manifest/job_input.h"
#include "cost/render_prior.h"
#include "util/embedded.h"

namespace reelq {

Result<PriceTable> parse_prices(std::string_view json, const std::string& source) {
  PriceTable t;
  t.source = source;
  try {
    Poco::JSON::Parser p;
    auto root = p.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    t.currency = root->optValue<std::string>("currency", "USD");
    auto models = root->getObject("models");
    if (!models) {
      return Error{ErrorKind::input, fmt::format("{}: no \"models\" object", source)};
    }
    for (const auto& [model, tiers_var] : *models) {
      auto tiers = models->getObject(model);
      if (!tiers) {
        return Error{ErrorKind::input, fmt::format("{}: models.{} must be an object of prices", source, model)};
      }
      for (const auto& [tier, price] : *tiers) {
        if (!price.isNumeric() || price.convert<double>() < 0) {
          return Error{ErrorKind::input, fmt::format("{}: models.{}.{} must be a price per second, a number >= 0 "
                                                     "(got {})",
                                                     source, model, tier, price.toString())};
        }
        t.per_second[model][tier] = price.convert<double>();
      }
    }
  } catch (const Poco::Exception& e) {
    return Error{ErrorKind::input, fmt::format("{}: not a price table: {}", source, e.displayText())};
  }
  return t;
}

Result<PriceTable> load_prices(const std::string& path) {
  if (path.empty()) {
    return parse_prices(embedded::prices_json(), "built-in prices (schemas/prices.json)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorKind::usage, fmt::format("{}: cannot read the price table", path)};
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_prices(text.str(), path);
}

std::vector<RenderSpec> render_specs_of(const Manifest& manifest) {
  std::vector<RenderSpec> out;
  for (const auto& job : manifest.jobs) {
    out.insert(out.end(), static_cast<size_t>(job.takes), render_spec_of(input_json(job)));
  }
  return out;
}

std::string format_money(double amount, const std::string& currency) {
  return currency == "USD" ? fmt::format("${:.2f}", amount) : fmt::format("{:.2f} {}", amount, currency);
}

std::optional<double> price_of(const RenderSpec& render, const std::string& model, const PriceTable& prices) {
  auto table = prices.per_second.find(model);
  if (table == prices.per_second.end()) {
    return std::nullopt;
  }
  auto price = table->second.find(render.tier);
  if (price == table->second.end()) {
    return std::nullopt;
  }
  return price->second * render.duration;
}

Estimate estimate_renders(const std::vector<RenderSpec>& renders, const std::string& model, const PriceTable& prices,
                          int max_concurrent, int rpm, TimeMs typical_render_ms) {
  Estimate e;
  std::map<std::pair<std::string, int>, EstimateLine> lines;
  double render_ms = 0;
  double longest_ms = 0;
  for (const RenderSpec& r : renders) {
    ++e.renders;
    e.video_seconds += r.duration;
    double ms = r.time_factor * static_cast<double>(typical_render_ms);
    render_ms += ms;
    longest_ms = std::max(longest_ms, ms);
    EstimateLine& line = lines[{r.tier, r.duration}];
    line.tier = r.tier;
    line.duration = r.duration;
    ++line.renders;
    if (auto price = price_of(r, model, prices)) {
      line.priced = true;
      line.unit_price = *price;
      e.cost += *price;
    }
  }
  for (auto& [key, line] : lines) {
    if (!line.priced && std::find(e.unpriced.begin(), e.unpriced.end(), line.tier) == e.unpriced.end()) {
      e.unpriced.push_back(line.tier);
    }
    e.lines.push_back(line);
  }
  // No schedule beats the slots kept full all the time, nor the longest single render.
  e.render_bound_ms = static_cast<TimeMs>(std::max(render_ms / std::max(1, max_concurrent), longest_ms));
  e.request_bound_ms = static_cast<TimeMs>(2.0 * e.renders * 60000.0 / std::max(1, rpm));
  return e;
}

double rehearsal_time_scale(const Manifest& manifest, const Settings& settings, TimeMs target_ms) {
  Estimate e = estimate_renders(render_specs_of(manifest), manifest.model, PriceTable{}, settings.max_concurrent,
                                settings.rpm, k_prior_render_ms);
  double scale = static_cast<double>(target_ms) / static_cast<double>(std::max<TimeMs>(1, e.wall_lower_bound_ms()));
  return std::clamp(scale, 0.002, 1.0);
}

}  // namespace reelq
