#include "sched/balance_check.h"

#include <fmt/format.h>

#include "cost/render_prior.h"
#include "sched/request_window.h"
#include "sched/spend_cap.h"

namespace reelq {

BalanceResult read_balance(RunStore& store, ApiClient& api, Clock& clock, const Settings& settings) {
  // Requests of a run that just ended still fill the window: wait for room, like the runner does.
  TimeMs window = static_cast<TimeMs>(60000 * settings.time_scale);
  RequestWindow limiter(settings.rpm, window);
  TimeMs now = clock.now_ms();
  if (auto recent = store.recent_requests(now - window)) {
    limiter.restore(*recent, now, 0);
  }
  if (TimeMs at = limiter.next_allowed(now); at > now) {
    clock.sleep_ms(at - now);
  }
  BalanceResult r = api.balance();
  // If this cannot be written, the runner still counts one unseen request at its start.
  (void)store.log_event({"balance", r.answer.http_status, r.answer.body_code,
                         r.balance ? fmt::format("{:.4f}", *r.balance) : r.answer.message, "",
                         std::string(to_string(r.answer.kind))});
  return r;
}

BalanceVerdict check_balance(RunStore& store, ApiClient& api, Clock& clock, const std::string& batch,
                             const std::string& model, const PriceTable& prices, const Settings& settings,
                             const BalanceResult* already_read, double committed) {
  BalanceVerdict v;
  auto jobs = store.unfinished_jobs(batch);
  if (!jobs) {
    v.message = jobs.error().message;
    return v;
  }
  std::vector<RenderSpec> left;
  for (const JobRow& j : *jobs) {
    if (j.state == JobState::queued || j.state == JobState::submitting) {
      left.push_back(render_spec_of(j.input_json));
    }
  }
  if (settings.max_spend) {
    // A night capped below its cost asks the balance only for what the cap lets through.
    std::vector<std::optional<double>> priced;
    for (const RenderSpec& spec : left) {
      priced.push_back(price_of(spec, model, prices));
    }
    const CapReach reach = cap_reach(*settings.max_spend, committed, priced);
    v.beyond_cap = reach.renders - reach.fits;
    left.resize(static_cast<size_t>(reach.fits));
  }
  v.renders = static_cast<int>(left.size());
  if (left.empty()) {
    v.kind = BalanceKind::covered;
    return v;
  }
  Estimate e = estimate_renders(left, model, prices, settings.max_concurrent, settings.rpm, k_prior_render_ms);
  v.cost = e.cost;
  if (!e.unpriced.empty()) {
    v.message =
        fmt::format("{} has no price for {} at {}: balance not checked", prices.source, model, e.unpriced.front());
    return v;
  }
  BalanceResult r = already_read ? *already_read : read_balance(store, api, clock, settings);
  v.read = r;
  if (r.answer.kind == AnswerKind::unreachable) {
    v.kind = BalanceKind::unreachable;
    v.message = r.answer.message;
    return v;
  }
  if (r.answer.kind == AnswerKind::unauthorized) {
    v.kind = BalanceKind::key_refused;
    v.message = fmt::format("the API refused the key (HTTP {}): {}", r.answer.http_status, r.answer.message);
    return v;
  }
  if (r.answer.kind != AnswerKind::ok || !r.balance) {
    v.message = fmt::format("could not read the balance ({}: {})", to_string(r.answer.kind), r.answer.message);
    return v;
  }
  v.balance = *r.balance;
  double spent = 0;
  for (const RenderSpec& s : left) {
    double price = price_of(s, model, prices).value_or(0);  // every tier is priced: checked above
    if (spent + price > v.balance + 1e-9) {
      break;
    }
    spent += price;
    ++v.affordable;
  }
  v.kind = v.affordable == v.renders ? BalanceKind::covered : BalanceKind::short_funds;
  return v;
}

}  // namespace reelq
