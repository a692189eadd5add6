#pragma once
// What a batch will cost and how long it must take at the least, before a credit is spent.
//
// Prices come from a data file (schemas/prices.json, compiled in; `--prices FILE` or
// REELQ_PRICES for the user's own copy), in USD per second of video by model and by size
// (text-to-video) or resolution (image-to-video), because apixo's prices change and differ by
// model and resolution.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/manifest.h"
#include "cost/render_prior.h"
#include "settings.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

struct PriceTable {
  std::string source;  // "built-in" or the file's path, for messages
  std::string currency = "USD";
  std::map<std::string, std::map<std::string, double>> per_second;  // model -> tier -> price
};

Result<PriceTable> parse_prices(std::string_view json, const std::string& source);
// The file at `path`, or the built-in table when `path` is empty.
Result<PriceTable> load_prices(const std::string& path);

// One RenderSpec (cost/render_prior.h) per take of every job of the manifest, in manifest order.
std::vector<RenderSpec> render_specs_of(const Manifest& manifest);

// "$20.80" for USD, "20.80 EUR" for another currency.
std::string format_money(double amount, const std::string& currency);

// What one render costs by the table; nullopt when the table has no price for it.
std::optional<double> price_of(const RenderSpec& render, const std::string& model, const PriceTable& prices);

struct EstimateLine {
  std::string tier;
  int duration = 0;
  int renders = 0;
  double unit_price = 0;  // per render; 0 when unpriced
  bool priced = false;
};

struct Estimate {
  int renders = 0;
  int video_seconds = 0;
  double cost = 0;                    // of the priced renders
  std::vector<EstimateLine> lines;    // by tier and duration
  std::vector<std::string> unpriced;  // tiers the table has no price for
  TimeMs render_bound_ms = 0;         // typical render times / concurrency, or the longest one
  TimeMs request_bound_ms = 0;        // two requests per render (submit, one poll) / rpm
  TimeMs wall_lower_bound_ms() const { return std::max(render_bound_ms, request_bound_ms); }
};

// `typical_render_ms` is the time of an 8 s 720p render (k_prior_render_ms unless learned).
Estimate estimate_renders(const std::vector<RenderSpec>& renders, const std::string& model, const PriceTable& prices,
                          int max_concurrent, int rpm, TimeMs typical_render_ms);

// The time scale at which `manifest`'s least wall time under `settings`' caps lasts about
// `target_ms` (a rehearsal's minute): never above 1 (slower than real), never below 0.002 (so fast
// that loopback overheads would distort the schedule).
double rehearsal_time_scale(const Manifest& manifest, const Settings& settings, TimeMs target_ms);

}  // namespace reelq
