#pragma once
// Errors as values (leveldb's Status, C++23's std::expected): a Result<T> holds a T or an Error.
// Exceptions from libraries are caught in the wrapper that calls them and become an Error here.
#include <string>
#include <utility>
#include <variant>

namespace reelq {

enum class ErrorKind {
  usage,     // bad command line or settings: exit 2
  input,     // a manifest or other user file is wrong: exit 2
  storage,   // the database could not be read or written
  io,        // a file could not be read or written
  conflict,  // the request contradicts what is stored (e.g. a changed job spec)
  busy,      // another process holds what we need (the runner lock)
  // What a run meets at the API before it starts (cli/run_guards.h): the command can be given again
  // as it was once the world outside changes.
  unreachable,  // the API could not be reached at all: exit 3, nothing sent
  short_funds,  // the balance cannot pay for the batch: exit 3, nothing sent
  key_refused,  // the API refused the key (401/403): exit 4
  internal,
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : m_v(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(m_v); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(m_v); }
  const T& value() const { return std::get<T>(m_v); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const Error& error() const { return std::get<Error>(m_v); }

 private:
  std::variant<T, Error> m_v;
};

// For operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
  return Ok{};
}

}  // namespace reelq
