#pragma once
// The dispatch with threads: a few workers that do nothing but call the ApiClient and push the
// answer into an inbox, then notify the loop's wake-up. They own nothing else: the loop decides
// what to send and applies every answer (the pattern of the downloader and the listener).
//
// The client is shared by the workers, so it must be safe to call from several threads at once:
// HttpApiClient over the Poco transport is (each call takes a connection of its own from the
// transport's pool, never one another call is using; the clock must be the real or anchored one).
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "api/dispatch.h"
#include "util/wakeup.h"

namespace reelq {

class WorkerDispatch final : public ApiDispatch {
 public:
  // Starts `workers` threads (at least 1). `client` and `wakeup` must outlive this object.
  WorkerDispatch(ApiClient& client, int workers, Wakeup& wakeup);
  // A pool of keys: each request goes out with its key's client (ApiRequest::key).
  WorkerDispatch(ApiClients clients, int workers, Wakeup& wakeup);
  // Shuts down with no grace if shutdown() was not called, and joins the workers.
  ~WorkerDispatch() override;
  WorkerDispatch(const WorkerDispatch&) = delete;
  WorkerDispatch& operator=(const WorkerDispatch&) = delete;

  Ticket send(ApiRequest request) override;
  std::vector<ApiReply> take() override;
  std::size_t in_flight() const override;
  TimeMs next_answer_at() const override;
  // Waits up to `grace` ms (real time; an hour at most) for the calls the workers are making; those still out are
  // reported on_the_wire and cut (ApiClient::abort_calls), and their late answers dropped. Calls
  // no worker had started are reported not_sent. Returns once every worker has ended.
  ShutdownReport shutdown(TimeMs grace) override;

 private:
  void work();

  ApiClients m_clients;
  Wakeup& m_wakeup;
  mutable std::mutex m_mutex;
  std::condition_variable m_work;  // a request was queued, or the workers should end
  std::condition_variable m_idle;  // a worker finished a call
  Ticket m_last = 0;
  bool m_stopping = false;
  std::deque<Unanswered> m_queue;         // sent to the dispatch, no worker has it yet
  std::map<Ticket, ApiRequest> m_active;  // a worker is making the call
  std::set<Ticket> m_cut;                 // reported on_the_wire: their answers are dropped
  std::vector<ApiReply> m_inbox;          // answered, not yet taken
  std::vector<std::thread> m_workers;
};

}  // namespace reelq
