#pragma once
// Whether a job's spec in the queue and in the manifest now are the same job. Local images are
// compared as files, not as the strings that name them: the same image read from a moved project
// or through a linked folder is the same image.
#include <string>

namespace reelq {

// `stored` and `now` are input objects as input_json() writes them. Equal text is the same spec;
// otherwise every field must be equal but local images (file:// URIs), which may instead name the
// same file (canonical paths) or files of equal content (SHA-256).
bool same_input(const std::string& stored, const std::string& now);

// Whether two file:// URIs name the same image: the same file, or the same bytes.
bool same_local_image(const std::string& stored_uri, const std::string& now_uri);

}  // namespace reelq
