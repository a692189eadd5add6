#pragma once
// Whether --public-url leads to this run's listener, asked before anything that depends on it is
// submitted: a tunnel pointing elsewhere otherwise shows only as paid renders failing
// INVALID_IMAGE_URL, or callbacks that never come.
//
// Each run makes a fresh random challenge and answer. Its listener answers GET
// /probe/TOKEN/CHALLENGE with the answer; reelq GETs the public URL + that path and compares. Only a
// listener of this run knows the answer, so another server at that URL (an echo included) cannot
// pass. The probe carries no API key: it goes through the same transport as image downloads.
#include <string>

#include "api/transport.h"
#include "util/result.h"

namespace reelq {

struct ProbeSecret {
  std::string challenge;  // in the probe's path
  std::string answer;     // what the listener answers; never sent by reelq
  // Both from the kernel's CSPRNG (make_listen_token).
  static ProbeSecret make();
};

// "/probe/TOKEN/CHALLENGE".
std::string probe_path(const std::string& token, const ProbeSecret& secret);

// GET `public_url` (no trailing slash) + probe_path: ok when the answer is `secret.answer`. Else a
// usage error that says what was tried (the URL with the token and challenge left out) and what
// came back (the transport's error, the HTTP status, or the start of another body); `listen` is
// where the URL must lead.
Status probe_public_url(HttpTransport& http, const std::string& public_url, const std::string& listen,
                        const std::string& token, const ProbeSecret& secret);

}  // namespace reelq
