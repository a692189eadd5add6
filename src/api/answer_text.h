#pragma once
// Text an answer chose (a state, a failCode, a failMsg, a message, an excerpt of a page) is made
// safe here, once, where answers are read: everything downstream (the log, the terminal, the
// database, the reports) may then print and store it as it is.
#include <cstddef>
#include <string>

namespace reelq {

// The longest state or failCode kept: codes are short words ("CONTENT_VIOLATION"); a longer one is
// not a code but something echoed back, and is cut.
constexpr std::size_t k_max_answer_code = 64;
// The longest failMsg or message kept: a sentence or two. A 100 KB failMsg is cut to this.
constexpr std::size_t k_max_answer_message = 500;

// `text` with every occurrence of `secret` replaced by "[redacted]", in case an answer echoes the
// request back. Never applied to bodies that are parsed.
std::string redact(std::string text, const std::string& secret);

// `text` cut to at most `max` bytes, at a character's boundary, with "..." when cut, and made
// printable: control characters (C0, DEL, C1: the escape sequences a terminal obeys), bidi
// overrides and bytes that are not UTF-8 become '?'. Printable UTF-8 is kept as it is.
std::string printable_excerpt(const std::string& text, std::size_t max = k_max_answer_code);

// What reelq keeps of a text an answer chose: the key redacted first (so a cut cannot leave a
// piece of it), then made printable and cut to `max`.
std::string answer_text(const std::string& text, const std::string& secret, std::size_t max);

}  // namespace reelq
