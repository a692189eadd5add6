#pragma once
// A report in one of its three formats, to a stream or to a file that appears whole or not at all.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "report/report_data.h"

namespace reelq {

enum class ReportFormat { csv, json, html };
std::string_view to_string(ReportFormat format);

// `format` as given ("csv", "json", "html"), or from `output`'s extension when empty (csv when
// that says nothing either). Anything else is a usage error.
Result<ReportFormat> parse_report_format(const std::string& format, const std::filesystem::path& output);

// JSON needs each take's history; the others do not (it is the bulk of the database).
WithEvents events_needed(ReportFormat format);

// HTML links its videos relative to `page_dir`, the folder the page will be opened from.
void write_report(const std::vector<BatchReport>& batches, ReportFormat format, TimeMs now,
                  const std::filesystem::path& page_dir, std::ostream& out);

// Streams into a hidden file beside `path`, then renames it into place: a reader never sees half a
// report, a failed write leaves the previous one, and a big batch is never held in memory twice.
Status write_report_file(const std::vector<BatchReport>& batches, ReportFormat format, TimeMs now,
                         const std::filesystem::path& path);

}  // namespace reelq
