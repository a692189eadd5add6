#pragma once
// The apixo API as reelq uses it: submit a task, ask its status, read the balance. The scheduler
// talks to ApiClient; tests give it a fake, the binary gives it HttpApiClient over Poco.
// HttpApiClient may be called from several threads at once (the API workers, api/worker_dispatch.h)
// when its transport and clock may: the Poco transport and the real or anchored clock can.
#include <memory>
#include <optional>
#include <string>

#include "api/answer.h"
#include "api/transport.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

struct SubmitResult {
  Answer answer;
  std::string task_id;  // set when answer.kind == ok
};

struct StatusResult {
  Answer answer;
  std::optional<TaskStatus> status;  // set when answer.kind == ok
};

struct BalanceResult {
  Answer answer;
  std::optional<double> balance;  // USD
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;
  // POST /api/v1/generateTask/{model} with `body` exactly as given (see api/request.h).
  virtual SubmitResult submit(const std::string& model, const std::string& body) = 0;
  // GET /api/v1/statusTask/{model}?taskId=...
  virtual StatusResult status(const std::string& model, const std::string& task_id) = 0;
  // GET /api/v1/apikeys/current-balance
  virtual BalanceResult balance() = 0;
  // From any thread, on a stop: cuts the calls on their way (they end as if the connection broke:
  // no answer) and makes every later call fail at once without leaving the machine. A client that
  // cannot hang (a fake) has nothing to do.
  virtual void abort_calls() {}
};

class HttpApiClient final : public ApiClient {
 public:
  // `base_url` without a trailing slash, e.g. https://api.apixo.ai. The key is kept only in memory
  // and sent only in the Authorization header.
  HttpApiClient(HttpTransport& transport, std::string base_url, std::string api_key, Clock& clock);

  SubmitResult submit(const std::string& model, const std::string& body) override;
  StatusResult status(const std::string& model, const std::string& task_id) override;
  BalanceResult balance() override;
  void abort_calls() override { m_transport.abort_calls(); }

 private:
  HttpResponse exchange(const std::string& method, const std::string& path, const std::string& body);

  HttpTransport& m_transport;
  std::string m_base;
  std::string m_key;
  Clock& m_clock;
};

// The API key: from the file named by --api-key-file when given, else from APIXO_API_KEY.
// Surrounding whitespace is trimmed. Errors never quote the key.
Result<std::string> load_api_key(const std::string& key_file);

// Whether the key is kept from the machine's other users: a key file readable by its owner alone
// (no group or other bits). A key from the environment says nothing either way.
bool key_file_is_private(const std::string& key_file);

}  // namespace reelq
