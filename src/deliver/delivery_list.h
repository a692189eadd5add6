#pragma once
// DIR/delivery.csv as a delivery writes it: one row per file delivered, appended (never through a
// link), its header when the file is new. It knows what it listed when the delivery began, so a
// file already there that a lost list no longer names is listed again; and a row made wrong (a
// link turned into a copy by --copy) gives way to the new one when the list is closed.
#include <string>
#include <vector>

#include "deliver/deliver.h"
#include "deliver/held_folder.h"
#include "util/result.h"
#include "util/safe_file.h"

namespace reelq {

enum class Row {
  added,           // a file not listed yet, or listed again
  replaces_link,   // a copy where a link was: the link's row goes at close()
};

class DeliveryList {
 public:
  static Result<DeliveryList> open(const HeldFolder& dir);

  // Whether the list named `dest` when the delivery began.
  bool lists(const Where& dest) const;
  // The take the list said was delivered as `dest` when the delivery began (its last row for it).
  std::optional<ListedTake> listed_take(const Where& dest) const;
  Status add(const DeliveryItem& item, const Where& dest, const std::string& sha, Placement how, Row row = Row::added);
  // Closes the file, then drops the rows replaced (through a temporary file and a rename).
  Status close();

 private:
  DeliveryList(WriteFile file, std::string before, Where csv)
      : m_file(std::move(file)), m_before(std::move(before)), m_csv(std::move(csv)) {}
  WriteFile m_file;
  std::string m_before;  // the file as it was when the delivery began
  Where m_csv;
  std::vector<std::string> m_replaced;  // destinations whose `link` row is stale
};

}  // namespace reelq
