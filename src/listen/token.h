#pragma once
// The secret that makes the listener's URLs unguessable: /cb/TOKEN and /img/TOKEN/NAME.
#include <string>
#include <string_view>

namespace reelq {

// 32 bytes (256 bits) from the kernel's CSPRNG (getrandom), as 64 lowercase hex characters.
// Throws std::runtime_error when the kernel gives no randomness (never silently weaker).
std::string make_listen_token();

// Whether `given` equals `expected`, in time that depends only on their lengths, so a client cannot
// learn the token a character at a time from how fast a wrong one is refused.
bool same_token(std::string_view given, std::string_view expected);

}  // namespace reelq
