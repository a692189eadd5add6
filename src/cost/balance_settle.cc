#include "cost/balance_settle.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

namespace reelq {
namespace {

constexpr double k_half_cent = 0.005;

bool same_money(double a, double b) {
  return std::abs(a - b) < k_half_cent;
}

std::string count_of(int n, const char* what) {
  return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
}

// "the 2 failed tasks and 1 possible duplicate charge"
std::string uncertain_ones(int failed, int possible) {
  std::vector<std::string> parts;
  if (failed > 0) {
    parts.push_back(count_of(failed, "failed task"));
  }
  if (possible > 0) {
    parts.push_back(count_of(possible, "possible duplicate charge"));
  }
  if (parts.empty()) {
    return "";
  }
  return "the " + (parts.size() == 1 ? parts[0] : parts[0] + " and " + parts[1]);
}

}  // namespace

std::string settle_balance(const Spend& spend, double difference, const std::string& currency) {
  auto money = [&](double v) { return format_money(v, currency); };
  // Tasks not ended are counted as charged: an API that charges at creation (the simulator does)
  // has already taken their price; one that charges at the end shows them in a later run.
  double counted = spend.rendered_cost + spend.not_ended_cost;
  std::string counted_as = spend.not_ended > 0 ? "the rendered takes and the tasks not ended" : "the rendered takes";
  if (same_money(difference, counted)) {
    std::string out = "as reelq counts for " + counted_as;
    if (std::string u = uncertain_ones(spend.failed, spend.possible); !u.empty()) {
      out += fmt::format("; {} cost nothing", u);
    }
    return out;
  }
  if (spend.failed > 0 && same_money(difference, counted + spend.failed_cost)) {
    std::string out = fmt::format("as reelq counts for {} and {}: failed tasks were charged", counted_as,
                                  uncertain_ones(spend.failed, 0));
    if (spend.possible > 0) {
      out += fmt::format("; {} cost nothing", uncertain_ones(0, spend.possible));
    }
    return out;
  }
  if (difference > counted) {
    return fmt::format(
        "{} more than reelq counts for {}: failed tasks or duplicates charged, or another use of "
        "the key meanwhile",
        money(difference - counted), counted_as);
  }
  return fmt::format("{} less than reelq counts for {}: a charge not yet taken, a refund, or a top-up meanwhile",
                     money(counted - difference), counted_as);
}

std::string describe_balance(const BalanceAround& balance, const Spend& spend, const std::string& currency) {
  auto money = [&](double v) { return format_money(v, currency); };
  double d = balance.difference;
  // "down $0.00" read as a charge; under half a cent it did not move.
  std::string moved = same_money(d, 0) ? "unchanged" : d >= 0 ? "down " + money(d) : "up " + money(-d);
  std::string verdict = settle_balance(spend, d, currency);
  // Runs stopped before their end balance was read are left out of the difference, and so are the
  // tasks they submitted from what it is set against: say so, or the figures seem to disagree.
  std::string unread =
      balance.unread > 0
          ? fmt::format(" ({} other run{} stopped before the balance after {} read; {} submits are not in this figure)",
                        balance.unread, balance.unread == 1 ? "" : "s", balance.unread == 1 ? "it was" : "they were",
                        balance.unread == 1 ? "its" : "their")
          : "";
  if (balance.runs == 1 && balance.unread == 0) {
    if (!balance.before || !balance.after) {
      return "";
    }
    return fmt::format("{} before the run, {} after: {}, {}", money(*balance.before), money(*balance.after), moved,
                       verdict);
  }
  if (balance.runs < 1) {
    return "";
  }
  return fmt::format("{} over the {} run{} read before and after{}: {}", moved, balance.runs,
                     balance.runs == 1 ? "" : "s", unread, verdict);
}

std::string balance_json(const BalanceAround& balance) {
  auto number = [](const std::optional<double>& v) { return v ? fmt::format("{:.4f}", *v) : std::string("null"); };
  if (balance.runs < 1 || (balance.runs == 1 && (!balance.before || !balance.after))) {
    return "null";
  }
  return fmt::format(R"({{"before":{},"after":{},"difference":{:.4f},"runs":{}}})",
                     number(balance.runs == 1 ? balance.before : std::nullopt),
                     number(balance.runs == 1 ? balance.after : std::nullopt), balance.difference, balance.runs);
}

}  // namespace reelq
