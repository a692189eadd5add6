#pragma once
// Settling what reelq cannot know from its own answers (is a failed task charged? did a submit
// whose answer was lost create a task?) with the one figure the API gives: the key's balance,
// read before and after a run. Pure: the figures in, the sentence out.
#include <optional>
#include <string>

#include "cost/spend.h"

namespace reelq {

// The balance read around one run (or summed over several): nullopt where it could not be read.
struct BalanceAround {
  std::optional<double> before;
  std::optional<double> after;
  int runs = 1;           // how many runs the figures cover (> 1: summed per run, `before`/`after` unused)
  double difference = 0;  // before - after, summed over the runs read at both ends
  int unread = 0;         // runs of the batch without both readings (stopped, killed): not in `difference`
};

// What the difference says of `spend` (the tasks the runs created): "as reelq counts for the
// rendered takes; the 2 failed tasks cost nothing", "the 2 failed tasks were charged", or how far
// it is from reelq's count and why it can be. Amounts within half a cent are equal.
std::string settle_balance(const Spend& spend, double difference, const std::string& currency);

// The summary's and `status`'s line: "$1000.00 before this run, $997.60 after: down $2.40, ...";
// "" when the balance was not read at both ends.
std::string describe_balance(const BalanceAround& balance, const Spend& spend, const std::string& currency);

// {"before":1000.0,"after":997.6,"difference":2.4,"runs":1} (before/after null when summed), or
// null when not read at both ends.
std::string balance_json(const BalanceAround& balance);

}  // namespace reelq
