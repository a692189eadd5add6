#include "api/client.h"

#include <Poco/URI.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "api/result_hosts.h"

namespace reelq {

HttpApiClient::HttpApiClient(HttpTransport& transport, std::string base_url, std::string api_key, Clock& clock)
    : m_transport(transport), m_base(std::move(base_url)), m_key(std::move(api_key)), m_clock(clock) {
  while (!m_base.empty() && m_base.back() == '/') {
    m_base.pop_back();
  }
}

HttpResponse HttpApiClient::exchange(const std::string& method, const std::string& path, const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.url = m_base + path;
  req.headers.emplace_back("Authorization", "Bearer " + m_key);
  req.headers.emplace_back("Accept", "application/json");
  if (method == "POST") {
    req.headers.emplace_back("Content-Type", "application/json");
  }
  req.body = body;
  return m_transport.send(req);
}

SubmitResult HttpApiClient::submit(const std::string& model, const std::string& body) {
  HttpResponse r = exchange("POST", "/api/v1/generateTask/" + model, body);
  SubmitResult out;
  const Envelope answer(r.body);
  out.answer = classify(Endpoint::generate, r, answer, m_clock.now_ms(), m_key);
  if (out.answer.kind == AnswerKind::ok) {
    out.task_id = parse_task_id(answer);
  }
  return out;
}

StatusResult HttpApiClient::status(const std::string& model, const std::string& task_id) {
  std::string encoded;
  Poco::URI::encode(task_id, "&=?#+/", encoded);
  HttpResponse r = exchange("GET", "/api/v1/statusTask/" + model + "?taskId=" + encoded, "");
  StatusResult out;
  const Envelope answer(r.body);
  out.answer = classify(Endpoint::status, r, answer, m_clock.now_ms(), m_key);
  if (out.answer.kind != AnswerKind::ok) {
    return out;
  }
  std::string why;
  StatusProblem problem = StatusProblem::none;
  out.status = parse_task_status(answer, &why, task_id, &problem, m_key);
  if (out.status && out.status->state == TaskState::success) {
    // The answer chose these URLs: too many, or on this machine's network, is not a result.
    why = result_urls_problem(out.status->result_urls, m_base, m_key);
    if (!why.empty()) {
      out.status.reset();
      problem = StatusProblem::no_result;
    }
  }
  if (!out.status) {
    // A garbled envelope is the network's or a gateway's doing: ask again. One that reads fine
    // but does not answer (another task, a success without a result) is the API's: see runner.
    out.answer.kind = problem == StatusProblem::garbled ? AnswerKind::transient : AnswerKind::unusable;
    out.answer.fail_code = problem == StatusProblem::foreign_task ? "STATUS_MISMATCH"
                           : problem == StatusProblem::no_result  ? "RESULT_UNREADABLE"
                                                                  : "";
    out.answer.message = fmt::format("unusable status answer: {}", why);
  }
  return out;
}

BalanceResult HttpApiClient::balance() {
  HttpResponse r = exchange("GET", "/api/v1/apikeys/current-balance", "");
  BalanceResult out;
  out.answer = classify(Endpoint::balance, r, m_clock.now_ms(), m_key);
  if (out.answer.kind == AnswerKind::ok) {
    out.balance = parse_balance(r.body);
    if (!out.balance) {
      out.answer.kind = AnswerKind::transient;
      out.answer.message = "balance answer without a number";
    }
  }
  return out;
}

Result<std::string> load_api_key(const std::string& key_file) {
  std::string key;
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    if (!in) {
      return Error{ErrorKind::usage,
                   fmt::format("cannot read the API key file {}: {}", key_file, std::strerror(errno))};
    }
    std::ostringstream s;
    s << in.rdbuf();
    key = s.str();
  } else if (const char* v = std::getenv("APIXO_API_KEY")) {
    key = v;
  }
  key.erase(0, key.find_first_not_of(" \t\r\n"));
  key.erase(key.find_last_not_of(" \t\r\n") + 1);
  if (key.empty()) {
    return Error{ErrorKind::usage, key_file.empty() ? "no API key: set APIXO_API_KEY, pass --api-key-file PATH, or give a keys file with --keys FILE (or REELQ_KEYS)"
                                                    : fmt::format("the API key file {} is empty", key_file)};
  }
  if (key.find_first_of(" \t\r\n") != std::string::npos) {
    return Error{ErrorKind::usage, "the API key contains white space; expected a single token"};
  }
  return key;
}

bool key_file_is_private(const std::string& key_file) {
  struct stat st = {};
  return !key_file.empty() && ::stat(key_file.c_str(), &st) == 0 && (st.st_mode & 077) == 0;
}

}  // namespace reelq
