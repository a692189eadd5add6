#include "queue/listen_store.h"

#include <Poco/JSON/Parser.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>

#include "queue/database.h"

namespace reelq {

namespace {

std::vector<std::string> file_uris_of(const std::string& input_json) {
  std::vector<std::string> out;
  try {
    Poco::JSON::Parser parser;
    auto input = parser.parse(input_json).extract<Poco::JSON::Object::Ptr>();
    auto urls = input->getArray("image_urls");
    for (size_t i = 0; urls && i < urls->size(); ++i) {
      std::string url = urls->getElement<std::string>(static_cast<unsigned>(i));
      if (url.starts_with("file://")) {
        out.push_back(url);
      }
    }
  } catch (const Poco::Exception&) {
    // Written by enqueue from a validated manifest: an unreadable one has no images to serve.
  }
  return out;
}

}  // namespace

Result<std::string> batch_listen_token(SQLite::Database& db, const std::string& batch,
                                       const std::function<std::string()>& make) {
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement read(db, "SELECT coalesce(listen_token, '') FROM batches WHERE name = ?");
    read.bind(1, batch);
    if (!read.executeStep()) {
      return Error{ErrorKind::usage, "no batch named '" + batch + "' in this database"};
    }
    std::string token = read.getColumn(0).getString();
    if (token.empty()) {
      token = make();
      SQLite::Statement write(db, "UPDATE batches SET listen_token = ? WHERE name = ?");
      write.bind(1, token);
      write.bind(2, batch);
      write.exec();
    }
    tx.commit();
    return token;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<LocalImageUse>> open_local_images(SQLite::Database& db, const std::string& batch) {
  try {
    std::vector<LocalImageUse> out;
    SQLite::Statement q(db,
                        "SELECT id, job_id, input_json, state FROM jobs WHERE batch = ? AND state NOT IN ('succeeded', "
                        "'failed', 'cancelled') AND instr(input_json, '\"file://') > 0 ORDER BY position, take");
    q.bind(1, batch);
    while (q.executeStep()) {
      for (const auto& uri : file_uris_of(q.getColumn(2).getString())) {
        auto it = std::find_if(out.begin(), out.end(), [&](const LocalImageUse& u) { return u.uri == uri; });
        if (it == out.end()) {
          it = out.insert(out.end(), LocalImageUse{uri, {}, {}, {}, {}});
        }
        std::int64_t row = q.getColumn(0).getInt64();
        std::string job_id = q.getColumn(1).getString();
        auto add = [&](std::vector<std::int64_t>& rows, std::vector<std::string>& ids) {
          rows.push_back(row);
          if (std::find(ids.begin(), ids.end(), job_id) == ids.end()) {
            ids.push_back(job_id);
          }
        };
        add(it->rows, it->job_ids);
        if (q.getColumn(3).getString() == "queued") {
          add(it->unsent_rows, it->unsent_job_ids);
        }
      }
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

}  // namespace reelq
