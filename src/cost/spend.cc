#include "cost/spend.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <fmt/format.h>

#include <sstream>

#include "util/text.h"

namespace reelq {

Spend& Spend::operator+=(const Spend& o) {
  tasks += o.tasks;
  cost += o.cost;
  rendered += o.rendered;
  rendered_cost += o.rendered_cost;
  failed += o.failed;
  failed_cost += o.failed_cost;
  not_ended += o.not_ended;
  not_ended_cost += o.not_ended_cost;
  possible += o.possible;
  possible_cost += o.possible_cost;
  settled_none += o.settled_none;
  unpriced += o.unpriced;
  return *this;
}

Spend price_submitted(const std::vector<SubmittedRender>& renders, const std::string& model, const PriceTable& prices) {
  Spend s;
  for (const SubmittedRender& r : renders) {
    std::optional<double> price = price_of(render_spec_of(r.input_json), model, prices);
    if (!price) {
      ++s.unpriced;
    }
    double p = price.value_or(0);
    if (!r.certain) {
      ++s.possible;
      s.possible_cost += p;
      continue;
    }
    ++s.tasks;
    s.cost += p;
    switch (r.fate) {
      case TaskFate::rendered:
        ++s.rendered;
        s.rendered_cost += p;
        break;
      case TaskFate::failed:
        ++s.failed;
        s.failed_cost += p;
        break;
      case TaskFate::not_ended:
        ++s.not_ended;
        s.not_ended_cost += p;
        break;
    }
  }
  return s;
}

int settle_by_created(std::vector<SubmittedRender>& renders, const std::map<std::string, int>& created) {
  std::map<std::string, int> known;  // certain tasks per input
  for (const SubmittedRender& r : renders) {
    if (r.certain) {
      ++known[canonical_input(r.request_body)];
    }
  }
  int dropped = 0;
  std::vector<SubmittedRender> kept;
  for (SubmittedRender& r : renders) {
    if (r.certain) {
      kept.push_back(std::move(r));
      continue;
    }
    std::string input = canonical_input(r.request_body);
    auto it = created.find(input);
    int unseen = (it == created.end() ? 0 : it->second) - known[input];
    if (input.empty()) {
      kept.push_back(std::move(r));  // cannot be matched: stays a possible charge
    } else if (unseen > 0) {
      // The simulator made a task reelq never heard of: a duplicate for certain.
      ++known[input];
      r.certain = true;
      r.fate = TaskFate::not_ended;
      kept.push_back(std::move(r));
    } else {
      ++dropped;
    }
  }
  renders = std::move(kept);
  return dropped;
}

std::string canonical_input(const std::string& request_body) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(request_body).extract<Poco::JSON::Object::Ptr>();
    auto input = root ? root->getObject("input") : nullptr;
    if (!input) {
      return "";
    }
    // As the simulator spells it (sim/sim_validate.cc): keys sorted, so equal inputs give equal text.
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(input, out);
    return out.str();
  } catch (const Poco::Exception&) {
    return "";
  } catch (const std::exception&) {
    return "";
  }
}

std::string describe_spend(const Spend& spend, const std::string& currency) {
  auto money = [&](double v) { return format_money(v, currency); };
  auto plural = [](int n) { return n == 1 ? "" : "s"; };
  std::string out = fmt::format("{} for {} rendered take{} ({} task{} created)", money(spend.rendered_cost),
                                spend.rendered, plural(spend.rendered), spend.tasks, plural(spend.tasks));
  std::vector<std::string> maybe;
  if (spend.failed > 0) {
    maybe.push_back(
        fmt::format("{} failed task{} (up to {} more)", spend.failed, plural(spend.failed), money(spend.failed_cost)));
  }
  if (spend.possible > 0) {
    maybe.push_back(fmt::format("{} possible duplicate charge{} (up to {} more)", spend.possible,
                                plural(spend.possible), money(spend.possible_cost)));
  }
  if (!maybe.empty()) {
    out += "; possibly charged: " + maybe.front();
    for (size_t i = 1; i < maybe.size(); ++i) {
      out += ", " + maybe[i];
    }
  }
  if (spend.not_ended > 0) {
    out +=
        fmt::format("; {} task{} not ended ({} if {} render{})", spend.not_ended, plural(spend.not_ended),
                    money(spend.not_ended_cost), spend.not_ended == 1 ? "it" : "they", spend.not_ended == 1 ? "s" : "");
  }
  if (spend.settled_none > 0) {
    out += fmt::format("; {} submit{} of unknown fate created no task", spend.settled_none, plural(spend.settled_none));
  }
  if (spend.unpriced > 0) {
    out += fmt::format("; {} not in the price table", spend.unpriced);
  }
  return out;
}

std::string spend_json(const Spend& spend, const std::string& currency) {
  return fmt::format(R"({{"tasks":{},"cost":{:.2f},"currency":{},"possible_duplicates":{},"possible_cost":{:.2f},)"
                     R"("unpriced":{},"rendered":{},"rendered_cost":{:.2f},"failed":{},"failed_cost":{:.2f},)"
                     R"("not_ended":{},"not_ended_cost":{:.2f},"settled_none":{}}})",
                     spend.tasks, spend.cost, json_quote(currency), spend.possible, spend.possible_cost, spend.unpriced,
                     spend.rendered, spend.rendered_cost, spend.failed, spend.failed_cost, spend.not_ended,
                     spend.not_ended_cost, spend.settled_none);
}

std::map<std::string, Spend> price_by_key(const std::vector<SubmittedRender>& renders, const std::string& model,
                                          const PriceTable& prices) {
  std::map<std::string, std::vector<SubmittedRender>> split;
  for (const auto& r : renders) {
    split[r.key_name.empty() ? "default" : r.key_name].push_back(r);
  }
  std::map<std::string, Spend> out;
  for (const auto& [key, rs] : split) {
    out[key] = price_submitted(rs, model, prices);
  }
  return out;
}

std::string describe_by_key(const std::map<std::string, Spend>& by_key, const std::string& currency) {
  if (by_key.size() < 2) {
    return "";
  }
  std::string out;
  for (const auto& [key, s] : by_key) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", key, format_money(s.rendered_cost, currency));
    if (double more = s.failed_cost + s.possible_cost; more > 0) {
      out += fmt::format(" (+{} possibly)", format_money(more, currency));
    }
  }
  return out;
}

}  // namespace reelq
