#pragma once
// What this user's runs chose, queue by queue: the API bases other than the default one (--api-base)
// and the output folders outside the manifest's folder (--output-dir). A queue database records
// both for each batch, and `resume` goes back to them by itself; but a database may come from
// elsewhere (a cloned project folder, a colleague's copy, a file someone edited), and neither the
// key nor reelq's writes may follow a value no run of this user chose. The file lives beside the
// key leases ($XDG_STATE_HOME/reelq/trusted, else ~/.local/state/reelq/trusted): one
// `QUEUE_ID<TAB>VALUE` line each (an API base starts with http, a folder with '/'). No key in it.
#include <filesystem>
#include <string>

#include "util/result.h"

namespace reelq {

std::filesystem::path default_trust_file();

// Whether a run of this user recorded `value` for the queue `queue_id` (false if the file is
// missing or unreadable: then only a flag names it).
bool is_trusted(const std::filesystem::path& file, const std::string& queue_id, const std::string& value);

// Adds the line, unless it is there. The file is made 0600 and never written through a link.
Status add_trusted(const std::filesystem::path& file, const std::string& queue_id, const std::string& value);

}  // namespace reelq
