#include "manifest/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>

namespace reelq {

namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";

bool continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Reads text a byte at a time, knowing the line and column of the next byte. CR LF, LF and a lone
// CR each end a line.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : m_text(text) {}

  bool done() const { return m_at >= m_text.size(); }
  char peek() const { return done() ? '\0' : m_text[m_at]; }
  // The first byte after the blanks (spaces, and tabs where they are not the delimiter) from here
  // ('\0' at the end).
  char after_blanks(char delimiter) const {
    size_t at = m_text.find_first_not_of(delimiter == '\t' ? " " : " \t", m_at);
    return at == std::string_view::npos ? '\0' : m_text[at];
  }
  bool at_blank(char delimiter) const { return peek() == ' ' || (peek() == '\t' && delimiter != '\t'); }
  bool at_line_end() const { return peek() == '\n' || peek() == '\r'; }
  SourcePos pos() const { return {m_line, m_col}; }

  char take() {
    char c = m_text[m_at++];
    if (c == '\n' || (c == '\r' && peek() != '\n')) {
      ++m_line;
      m_col = 1;
    } else if (!continuation_byte(c)) {
      ++m_col;
    }
    return c;
  }

  void take_line_end() {
    if (peek() == '\r') {
      take();
    }
    if (peek() == '\n') {
      take();
    }
  }

 private:
  std::string_view m_text;
  size_t m_at = 0;
  int m_line = 1;
  int m_col = 1;
};

struct RawRecord {
  std::vector<CsvField> fields;
  SourcePos end;        // where the record's last field ends
  bool ok = true;       // no syntax problem in it
  bool quoted = false;  // some field was quoted (so a lone empty field is not a blank line)
};

class CsvParser {
 public:
  CsvParser(std::string_view text, char delimiter, const std::string& file, Diagnostics& errors)
      : m_cursor(text), m_delimiter(delimiter), m_file(file), m_errors(errors) {}

  RawRecord record() {
    RawRecord r;
    for (;;) {
      // Spaces around a quoted field are not part of it (`a, "b, c" ,d`, as people type them and
      // as Python's csv writes with a space after the comma): the quotes say where the text is.
      if (m_cursor.at_blank(m_delimiter) && m_cursor.after_blanks(m_delimiter) == '"') {
        while (m_cursor.at_blank(m_delimiter)) {
          m_cursor.take();
        }
      }
      r.fields.push_back(m_cursor.peek() == '"' ? quoted_field(r) : plain_field(r));
      if (m_cursor.peek() == m_delimiter && !m_cursor.done()) {
        m_cursor.take();
        continue;
      }
      r.end = m_cursor.pos();
      m_cursor.take_line_end();
      return r;
    }
  }

  bool done() const { return m_cursor.done(); }

 private:
  void fail(RawRecord& r, SourcePos pos, std::string message) {
    if (r.ok) {  // the first problem of a record; what follows it is often the same slip
      m_errors.push_back({m_file, pos, std::move(message)});
    }
    r.ok = false;
  }

  bool field_ends() const { return m_cursor.done() || m_cursor.peek() == m_delimiter || m_cursor.at_line_end(); }

  CsvField plain_field(RawRecord& r) {
    CsvField f{"", m_cursor.pos()};
    while (!field_ends()) {
      if (m_cursor.peek() == '"') {
        fail(r, m_cursor.pos(),
             "a quote inside a field that does not start with one; put the whole field in quotes and write the "
             "quote twice (\"\")");
      }
      f.text += m_cursor.take();
    }
    return f;
  }

  CsvField quoted_field(RawRecord& r) {
    CsvField f{"", m_cursor.pos(), true};
    r.quoted = true;
    m_cursor.take();
    for (;;) {
      if (m_cursor.done()) {
        fail(r, f.pos, "quoted field is never closed (its closing quote is missing)");
        return f;
      }
      char c = m_cursor.take();
      if (c == '"') {
        if (m_cursor.peek() != '"') {
          break;
        }
        m_cursor.take();
      }
      f.text += c;
    }
    while (m_cursor.at_blank(m_delimiter)) {
      m_cursor.take();  // blanks after the closing quote, before the delimiter
    }
    if (!field_ends()) {
      fail(r, m_cursor.pos(),
           "text after the closing quote of a field; a quote inside a quoted field is written twice (\"\")");
      while (!field_ends()) {
        m_cursor.take();
      }
    }
    return f;
  }

  Cursor m_cursor;
  char m_delimiter;
  const std::string& m_file;
  Diagnostics& m_errors;
};

// Nothing written in the row: an empty line, or delimiters only (",,,", what Excel saves for a
// formatted empty row), spaces around them counted as nothing (" , , " from a hand edit; unquoted
// cells are trimmed anyway). A quoted "" is written on purpose, so it is a field.
bool blank(const RawRecord& r) {
  return r.ok && !r.quoted && std::all_of(r.fields.begin(), r.fields.end(), [](const CsvField& f) {
           return f.text.find_first_not_of(" \t") == std::string::npos;
         });
}

}  // namespace

int char_columns(std::string_view s) {
  int n = 0;
  for (char c : s) {
    n += continuation_byte(c) ? 0 : 1;
  }
  return n;
}

CsvTable parse_csv(std::string_view text, char delimiter, const std::string& file, Diagnostics& errors) {
  if (text.starts_with(k_bom)) {
    text.remove_prefix(k_bom.size());  // Excel's "CSV UTF-8" starts with one
  }
  CsvTable table;
  CsvParser parser(text, delimiter, file, errors);
  bool header_read = false;
  int number = 0;
  while (!parser.done()) {
    RawRecord r = parser.record();
    if (blank(r)) {
      continue;  // not a record, and not counted: ids made from row numbers skip it as a blank line
    }
    if (!header_read) {
      table.header = std::move(r.fields);
      header_read = true;
      continue;
    }
    ++number;
    if (!r.ok) {
      continue;
    }
    size_t want = table.header.size();
    if (r.fields.size() != want) {
      SourcePos at = r.fields.size() > want ? r.fields[want].pos : r.end;
      errors.push_back(
          {file, at,
           fmt::format("this row has {} fields and the header {}{}", r.fields.size(), want,
                       r.fields.size() > want ? " (a field holding the delimiter must be in quotes)" : "")});
      continue;
    }
    table.records.push_back({std::move(r.fields), number});
  }
  return table;
}

}  // namespace reelq
