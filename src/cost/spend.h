#pragma once
// What a batch has cost: every task the API created for it (a submit answered with a taskId),
// priced by the table and told apart by what the API last said of it, and what submits of unknown
// fate may have added. apixo bills per task created; whether it refunds a failed render is not
// documented (shared/apixo-api/NOTES.md), so only rendered takes count as spent, failed tasks as
// possibly charged, and the balance read around each run settles which (cost/balance_settle.h).
#include <map>
#include <string>
#include <vector>

#include "cost/estimate.h"

namespace reelq {

// What the API last said of a task a submit created.
enum class TaskFate {
  rendered,   // statusTask said success: charged
  failed,     // statusTask said failed: charged or refunded, apixo does not say
  not_ended,  // nothing final yet (still rendering, given up on, unreadable)
};

struct SubmittedRender {
  std::string input_json;               // the API's input object of the submit
  bool certain = true;                  // false: the submit went out and no answer came (a possible charge)
  TaskFate fate = TaskFate::not_ended;  // of the task created (certain submits only)
  std::string request_body = {};        // the generateTask body sent ("" when unknown)
  // The key the take was last submitted with (its keys file name; "" before queue schema 9). A take
  // resubmitted with another key counts all its submits for the last one: rare, and said in the docs.
  std::string key_name = {};
};

struct Spend {
  int tasks = 0;     // tasks created
  double cost = 0;   // their price by the table: rendered + failed + not ended
  int rendered = 0;  // tasks the API rendered (spent)
  double rendered_cost = 0;
  int failed = 0;  // tasks the API failed (possibly charged)
  double failed_cost = 0;
  int not_ended = 0;  // tasks with no end known yet (charged if they render)
  double not_ended_cost = 0;
  int possible = 0;  // submits that may have created a task unseen
  double possible_cost = 0;
  int settled_none = 0;  // submits of unknown fate that a simulator showed created no task
  int unpriced = 0;      // renders the table has no price for (left out of the sums)

  Spend& operator+=(const Spend& other);
};

Spend price_submitted(const std::vector<SubmittedRender>& renders, const std::string& model, const PriceTable& prices);
// The same, by key name.
std::map<std::string, Spend> price_by_key(const std::vector<SubmittedRender>& renders, const std::string& model,
                                          const PriceTable& prices);
// "studio-a $12.00, studio-b $9.60 (+$2.40 possibly)": rendered cost per key, and what failed
// tasks and possible duplicates may add; "" for fewer than two keys.
std::string describe_by_key(const std::map<std::string, Spend>& by_key, const std::string& currency);

// Submits of unknown fate settled by a simulator that counts the tasks it created per input
// (`created`, keyed by the input object as `canonical_input` spells it): for each input, the tasks
// beyond those reelq knows of are duplicates (made certain, not ended), and the other unknown
// submits created nothing (dropped, counted in `settled_none` by price_submitted's caller).
// Returns how many were dropped.
int settle_by_created(std::vector<SubmittedRender>& renders, const std::map<std::string, int>& created);

// The "input" object of a generateTask body as the simulator keys it (keys sorted, no spaces);
// "" when the body is not such JSON.
std::string canonical_input(const std::string& request_body);

// "$2.40 for 1 rendered take (3 tasks created); possibly charged: 2 failed tasks (up to $4.80
// more), 1 possible duplicate charge (up to $2.40 more)".
std::string describe_spend(const Spend& spend, const std::string& currency);

// The same as one JSON object, numbers as numbers, for --log-json and `status --json`:
// {"tasks":8,"cost":20.8,"currency":"USD","possible_duplicates":1,"possible_cost":2.4,"unpriced":0,
//  "rendered":6,"rendered_cost":15.6,"failed":2,"failed_cost":5.2,"not_ended":0,"not_ended_cost":0,
//  "settled_none":0}
std::string spend_json(const Spend& spend, const std::string& currency);

}  // namespace reelq
