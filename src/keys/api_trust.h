#pragma once
// The API bases this user's reelq has sent a key to, queue by queue. A queue database records where
// each batch's last run went, and `resume` goes back there by itself; but a database may come from
// elsewhere (a cloned project folder, a colleague's copy, a file someone edited), and the key must
// not follow an address that no run of this user chose. The file lives beside the key leases
// ($XDG_STATE_HOME/reelq/apis, else ~/.local/state/reelq/apis): one `QUEUE_ID<TAB>API_BASE` line for
// each API other than the default one a run of this user recorded in that queue. It holds no key.
#include <filesystem>
#include <string>

#include "util/result.h"

namespace reelq {

std::filesystem::path default_api_trust_file();

// Whether a run of this user recorded `api_base` for the queue `queue_id` (false if the file is
// missing or unreadable: then only a flag names the address).
bool api_trusted(const std::filesystem::path& file, const std::string& queue_id, const std::string& api_base);

// Adds the line, unless it is there. The file is made 0600 and never written through a link.
Status trust_api(const std::filesystem::path& file, const std::string& queue_id, const std::string& api_base);

}  // namespace reelq
