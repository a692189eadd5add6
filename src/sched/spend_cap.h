#pragma once
// The night's ceiling on spend (settings.max_spend, --max-spend): no render is submitted that could
// take the batch's spend over it.
//
// What counts is what may have been charged, never less: every task the batch's submits created or
// may have created before this run (priced by the table: rendered, failed and unfinished tasks, and
// submits of unknown fate), plus each submit of this run from the moment it is sent. A submit's
// price is given back only when its answer proves that no task was made (a refusal, a 429, a
// request that never left); an ambiguous answer keeps it.
//
// When the next render in plan order does not fit, submitting stops: a cheaper one further down is
// never taken ahead of it (the plan's order is the user's). It opens again only if a price is given
// back and the render then fits.
#include <optional>
#include <vector>

namespace reelq {

class SpendCap {
 public:
  SpendCap() = default;  // no cap: everything fits
  // `cap` in the price table's currency; `committed`: what the batch may have cost already.
  SpendCap(double cap, double committed) : m_cap(cap), m_committed(committed) {}

  bool active() const { return m_cap.has_value(); }
  // Reserves `price` for a submit about to be sent, or says it does not fit (nothing reserved, and
  // submitting stays closed until a price is given back). An unpriced render (nullopt) never fits
  // under a cap: what it would cost cannot be counted.
  bool reserve(std::optional<double> price);
  // The answer proved no task was made: the price is free again, and so is submitting.
  void release(double price);

  // A render did not fit: nothing more is submitted unless a price comes back.
  bool reached() const { return m_reached; }
  std::optional<double> cap() const { return m_cap; }
  double committed() const { return m_committed; }

 private:
  std::optional<double> m_cap;
  double m_committed = 0;
  bool m_reached = false;
};

// How far a cap reaches over renders priced `prices` (nullopt: no price), in the order they would
// be submitted, beside `committed`: SpendCap walked as the runner reserves, so what `estimate`,
// the balance check, the start line and `status` say is what the run will do.
struct CapReach {
  int fits = 0;      // the renders submitted before the first that does not fit
  int renders = 0;   // all of them
  double committed = 0;
  std::optional<double> to_finish;  // the cap that pays for all: committed + every price (nullopt: one unpriced)
};
CapReach cap_reach(double cap, double committed, const std::vector<std::optional<double>>& prices);

}  // namespace reelq
