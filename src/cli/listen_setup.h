#pragma once
// What `reelq run`/`resume` set up before draining a batch that needs reelq's listener: callback
// mode, or local reference images (served by the listener, or checked at settings.image_base_url).
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "api/transport.h"
#include "listen/inbox.h"
#include "listen/listener.h"
#include "manifest/manifest.h"
#include "queue/run_store.h"
#include "settings.h"
#include "util/result.h"

namespace reelq {

struct ListenRun {
  std::unique_ptr<BoundedInbox> inbox;            // set when callbacks are expected
  std::unique_ptr<Listener> listener;             // running until this is destroyed
  std::string callback_url;                       // public URL + /cb/TOKEN, in callback mode
  std::map<std::string, std::string> image_urls;  // local file:// URI -> URL given to the API
  std::string summary;  // for people: what the listener does and where ("" = no listener); no token
};

// Decides and starts what the batch needs. A usage error (exit 2) before anything is sent when
// the settings cannot work: callback mode or local images without --public-url, a --public-url
// without --listen, one of --tls-cert/--tls-key without the other, a served image that is gone.
// With image_base_url, an image whose copy there differs or cannot be fetched fails the jobs
// naming it (IMAGE_CHECK_FAILED, the file named) and the rest of the batch goes on.
// The same refusals as set_up_listen, from the manifest alone, so `reelq run` can refuse before it
// enqueues anything (a refusal writes nothing).
Status check_listen_settings(const Manifest& manifest, const Settings& settings);

Result<ListenRun> set_up_listen(SQLite::Database& db, RunStore& store, const BatchInfo& batch, const Settings& settings,
                                HttpTransport& cdn, std::ostream& err);

}  // namespace reelq
