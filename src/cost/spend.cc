#include "cost/spend.h"

#include <fmt/format.h>

#include "util/text.h"

namespace reelq {

Spend price_submitted(const std::vector<SubmittedRender>& renders, const std::string& model, const PriceTable& prices) {
  Spend s;
  for (const SubmittedRender& r : renders) {
    std::optional<double> price = price_of(render_spec_of(r.input_json), model, prices);
    if (!price) {
      ++s.unpriced;
    }
    if (r.certain) {
      ++s.tasks;
      s.cost += price.value_or(0);
    } else {
      ++s.possible;
      s.possible_cost += price.value_or(0);
    }
  }
  return s;
}

std::string describe_spend(const Spend& spend, const std::string& currency) {
  auto money = [&](double v) { return format_money(v, currency); };
  std::string out = fmt::format("{} task{} created, {}", spend.tasks, spend.tasks == 1 ? "" : "s", money(spend.cost));
  if (spend.possible > 0) {
    out += fmt::format("; {} possible duplicate charge{} (up to {} more)", spend.possible,
                       spend.possible == 1 ? "" : "s", money(spend.possible_cost));
  }
  if (spend.unpriced > 0) {
    out += fmt::format("; {} not in the price table", spend.unpriced);
  }
  return out;
}

std::string spend_json(const Spend& spend, const std::string& currency) {
  return fmt::format(R"({{"tasks":{},"cost":{:.2f},"currency":{},"possible_duplicates":{},"possible_cost":{:.2f},)"
                     R"("unpriced":{}}})",
                     spend.tasks, spend.cost, json_quote(currency), spend.possible, spend.possible_cost,
                     spend.unpriced);
}

}  // namespace reelq
