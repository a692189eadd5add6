#pragma once
// The review page's behaviour (docs/report.md, "The review page"): the script and style the HTML
// report inlines, so the page works opened from disk with nothing fetched, and the one way data
// goes into its <script> blocks.
#include <string>
#include <string_view>

namespace reelq {

// Keyboard marks kept in localStorage, the Export button, the filters, media loaded only near the
// viewport. It reads each `section.review`'s `script.review-data` and the takes' data-* attributes.
extern const std::string_view k_review_script;
extern const std::string_view k_review_style;

// JSON text made safe inside <script>...</script>: `<`, `>` and `&` become \u003c, \u003e and
// \u0026 (no `</script>` or `<!--` can end or bend the block), U+2028 and U+2029 become \u2028 and
// \u2029. Only valid where those characters sit inside JSON strings, as they do in any JSON.
std::string script_safe_json(std::string_view json);

}  // namespace reelq
