#pragma once
// What a batch has cost so far: every task the API created for it (a submit answered with a
// taskId), priced by the table, and what submits of unknown fate may have added. apixo bills per
// task created; whether it refunds failed renders is not documented, so they are counted.
#include <string>
#include <vector>

#include "cost/estimate.h"

namespace reelq {

struct SubmittedRender {
  std::string input_json;  // the API's input object of the submit
  bool certain = true;     // false: the submit went out and no answer came (a possible charge)
};

struct Spend {
  int tasks = 0;           // tasks created
  double cost = 0;         // their price by the table
  int possible = 0;        // submits that may have created a task unseen
  double possible_cost = 0;
  int unpriced = 0;        // renders the table has no price for (left out of both sums)
};

Spend price_submitted(const std::vector<SubmittedRender>& renders, const std::string& model, const PriceTable& prices);

// "8 tasks created, $20.80; 1 possible duplicate charge (up to $2.40 more)".
std::string describe_spend(const Spend& spend, const std::string& currency);

// The same as one JSON object, numbers as numbers, for --log-json and `status --json`:
// {"tasks":8,"cost":20.8,"currency":"USD","possible_duplicates":1,"possible_cost":2.4,"unpriced":0}
std::string spend_json(const Spend& spend, const std::string& currency);

}  // namespace reelq
