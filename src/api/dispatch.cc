#include "api/dispatch.h"

namespace reelq {

std::string_view to_string(CallKind kind) {
  switch (kind) {
    case CallKind::submit:
      return "submit";
    case CallKind::status:
      return "status";
    case CallKind::balance:
      return "balance";
  }
  return "?";
}

ApiRequest ApiRequest::submit(std::int64_t job, std::string model, std::string body) {
  return {CallKind::submit, job, std::move(model), std::move(body), "", 0};
}

ApiRequest ApiRequest::status(std::int64_t job, std::string model, std::string task_id) {
  return {CallKind::status, job, std::move(model), "", std::move(task_id), 0};
}

ApiRequest ApiRequest::balance(int key) {
  return {CallKind::balance, 0, "", "", "", key};
}

const Answer& ApiReply::answer() const {
  return std::visit([](const auto& r) -> const Answer& { return r.answer; }, result);
}

ApiReply call_api(ApiClient& client, Ticket ticket, ApiRequest request) {
  ApiReply reply{ticket, std::move(request), {}};
  const ApiRequest& r = reply.request;
  switch (r.kind) {
    case CallKind::submit:
      reply.result = client.submit(r.model, r.body);
      break;
    case CallKind::status:
      reply.result = client.status(r.model, r.task_id);
      break;
    case CallKind::balance:
      reply.result = client.balance();
      break;
  }
  return reply;
}

ApiReply call_api(const ApiClients& clients, Ticket ticket, ApiRequest request) {
  const auto k = static_cast<size_t>(request.key);
  if (request.key < 0 || k >= clients.size() || !clients[k]) {
    return never_sent(ticket, std::move(request), "not sent: no API client for that key");
  }
  return call_api(*clients[k], ticket, std::move(request));
}

ApiReply never_sent(Ticket ticket, ApiRequest request, const std::string& why) {
  Answer a;
  a.kind = AnswerKind::unreachable;
  a.sent = false;
  a.message = why;
  ApiReply reply{ticket, std::move(request), {}};
  switch (reply.request.kind) {
    case CallKind::submit:
      reply.result = SubmitResult{a, ""};
      break;
    case CallKind::status:
      reply.result = StatusResult{a, std::nullopt};
      break;
    case CallKind::balance:
      reply.result = BalanceResult{a, std::nullopt};
      break;
  }
  return reply;
}

}  // namespace reelq
