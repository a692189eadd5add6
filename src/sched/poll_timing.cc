#include "sched/poll_timing.h"

#include <algorithm>

namespace reelq {

namespace {

// An overdue task is polled after a quarter of the time it is late, and at least every 5 minutes.
constexpr TimeMs k_overdue_divisor = 4;
constexpr double k_overdue_poll_cap_s = 300;
constexpr double k_callback_grace_s = 30;

TimeMs scaled(const Settings& s, double seconds) {
  return static_cast<TimeMs>(seconds * 1000.0 * s.time_scale);
}

// While a task's deadline is ahead, no look at it is planned past it: there it is given up on or
// collected. Past it (another batch's task, which this run never gives up on), its own pace holds,
// or it would be asked again at once, every turn of the loop.
TimeMs by_deadline(const PollTiming& t, TimeMs submitted_at, TimeMs now, TimeMs at) {
  TimeMs deadline = submitted_at + t.render_deadline;
  return deadline > now ? std::min(at, deadline) : at;
}

// Callback mode: none before the task's late estimate (about its 90th percentile) plus a grace
// for a retried delivery (apixo delivers at least once, or not at all), then one every grace.
TimeMs fallback_poll_at(const PollTiming& t, const RenderEstimate& e, TimeMs submitted_at, TimeMs now) {
  TimeMs grace = std::max({t.callback_grace, e.median / 4, t.poll_interval});
  TimeMs first = submitted_at + std::max(e.late, e.median) + grace;
  return by_deadline(t, submitted_at, now, std::max(first, now + grace));
}

}  // namespace

PollTiming poll_timing_of(const Settings& s) {
  PollTiming t;
  t.request_type = s.request_type;
  t.poll_initial = scaled(s, s.poll_initial);
  t.poll_interval = scaled(s, s.poll_interval);
  t.render_deadline = scaled(s, s.render_deadline);
  t.overdue_cap = scaled(s, k_overdue_poll_cap_s);
  t.callback_grace = scaled(s, k_callback_grace_s);
  return t;
}

TimeMs first_poll_at(const PollTiming& t, const RenderEstimate& e, TimeMs submitted_at, TimeMs now) {
  if (t.request_type == RequestType::callback) {
    return fallback_poll_at(t, e, submitted_at, now);
  }
  // Until renders have been seen, follow the setting (the API page says 120 s); then start
  // polling when the fastest tenth of similar renders would be done.
  TimeMs wait = e.learned ? e.early : t.poll_initial;
  return by_deadline(t, submitted_at, now, submitted_at + std::max(wait, t.poll_interval));
}

TimeMs next_poll_at(const PollTiming& t, const RenderEstimate& e, TimeMs submitted_at, TimeMs now) {
  if (t.request_type == RequestType::callback) {
    return fallback_poll_at(t, e, submitted_at, now);
  }
  TimeMs interval = t.poll_interval;
  TimeMs elapsed = now - submitted_at;
  TimeMs next = now + interval;
  if (elapsed < e.early) {
    next = std::max(now + interval, submitted_at + e.early);
  } else if (elapsed > e.late) {
    // Overdue: an outlier, perhaps stuck. Each look comes later than the last, from the predicted
    // end, so it cannot take the budget of healthy tasks, whose polls the planner ranks below its
    // "long overdue" score.
    next = now + std::clamp((elapsed - e.late) / k_overdue_divisor, interval, std::max(interval, t.overdue_cap));
  }
  // Between these two a task is more likely done with every look, not less: keep the pace, and
  // let the planner's ordering decide who gets the budget when it is short.
  return by_deadline(t, submitted_at, now, next);
}

}  // namespace reelq
