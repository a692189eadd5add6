#pragma once
// The listener's inbox as the run loop sees it, on the fake clock: callbacks the in-process
// simulator delivers become hints (like the real listener would push them), tests add forged ones,
// and waiting advances the fake clock.
#include <Poco/JSON/Parser.h>

#include <functional>

#include "listen/inbox.h"
#include "listen/router.h"
#include "sim/sim_core.h"
#include "support/fakes.h"

namespace reelq::test {

class FakeInbox final : public RunInbox {
 public:
  FakeInbox(FakeClock& clock, SimCore* sim = nullptr) : m_clock(clock), m_sim(sim) {}

  InboxItems take() override {
    ++takes;
    InboxItems out;
    if (m_sim) {
      for (const auto& d : m_sim->due_callbacks()) {
        bool deliver = !drop || !drop(d);
        if (deliver) {
          std::string id = status_envelope_task_id(d.body);
          if (!id.empty()) {
            out.hints.push_back(id);
            ++delivered;
          }
        }
        m_sim->callback_done(d, deliver);
      }
    }
    if (forge) {
      for (auto& id : forge()) {
        out.hints.push_back(id);
        ++forged;
      }
    }
    return out;
  }
  void wait_ms(TimeMs ms) override { m_clock.sleep_ms(ms); }

  std::function<bool(const CallbackDelivery&)> drop;  // true: this delivery is lost (the sim retries)
  std::function<std::vector<std::string>()> forge;    // hints no simulator sent
  int takes = 0;
  int delivered = 0;
  int forged = 0;

 private:
  FakeClock& m_clock;
  SimCore* m_sim;
};

}  // namespace reelq::test
