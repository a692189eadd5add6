#pragma once
// A CSV or TSV table as RFC 4180 writes it, every field with the place it starts.
//
// Small and hand-written because reelq's contract is an exact FILE:LINE:COL on every problem, and
// the CSV libraries packaged for Debian report rows, not places. What spreadsheets export is read:
// a UTF-8 byte order mark, CRLF or LF line ends, quoted fields holding delimiters, doubled quotes
// and line breaks (kept byte for byte), with spaces around the quotes left out.
#include <string>
#include <string_view>
#include <vector>

#include "util/diagnostic.h"

namespace reelq {

struct CsvField {
  std::string text;     // unquoted, "" undoubled, line breaks inside quotes as written
  SourcePos pos;        // line and column (in characters) where the field starts
  bool quoted = false;  // written in quotes: its text is exactly what was meant, spaces included
};

struct CsvRecord {
  std::vector<CsvField> fields;
  int number = 0;  // 1 for the first record after the header; blank rows are not records
};

struct CsvTable {
  std::vector<CsvField> header;
  std::vector<CsvRecord> records;  // only the well-formed ones with as many fields as the header
};

// Parses `text` with `delimiter` (',' or '\t'). Problems (a quote never closed, text after a
// closing quote, a quote inside an unquoted field, a record with more or fewer fields than the
// header) are appended to `errors` with `file` as the name; the record they are in is left out.
// Blank rows are skipped and not counted in CsvRecord::number: empty lines, and rows of delimiters
// and spaces only (",,," is what Excel saves for a formatted empty row), wherever they are.
CsvTable parse_csv(std::string_view text, char delimiter, const std::string& file, Diagnostics& errors);

// The number of characters (UTF-8 code points) in `s`: columns are counted as editors count them.
int char_columns(std::string_view s);

}  // namespace reelq
