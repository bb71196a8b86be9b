// What is wrong with one JSON input line, told three ways: `kind` names the
// --stats counter (bad_lines.<kind>), `cause` is what lines with the same problem
// share (their messages are grouped by it: the first is shown, the rest counted),
// `message` is the full text for the line at hand (the cause with its details).
#pragma once
#include <string>

namespace nl {

struct LineProblem {
  const char* kind = nullptr;  // null: no problem
  std::string cause;
  std::string message;

  explicit operator bool() const { return kind != nullptr; }
  void clear() {
    kind = nullptr;
    cause.clear();
    message.clear();
  }
  // `full`: this line's message, when it says more than the cause.
  void set(const char* k, std::string c, std::string full = {}) {
    kind = k;
    cause = std::move(c);
    message = full.empty() ? cause : std::move(full);
  }
};

// The --stats counter names (bad_lines.<kind>).
namespace line_problem {
inline constexpr const char* not_json = "not_json";          // not JSON, or not an object
inline constexpr const char* wrong_type = "wrong_type";      // a field of the wrong JSON type
inline constexpr const char* out_of_range = "out_of_range";  // a number its field cannot hold
inline constexpr const char* missing_field = "missing_field";
inline constexpr const char* bad_value = "bad_value";        // right type, meaningless value
inline constexpr const char* payload_too_long = "payload_too_long";
inline constexpr const char* no_payload = "no_payload";      // pcap2pkt --payload=none and the like
inline constexpr const char* no_frame = "no_frame";          // nothing to rebuild a frame from (pkt2pcap)
inline constexpr const char* bad_record = "bad_record";      // session records out of order
inline constexpr const char* empty_line = "empty_line";
inline constexpr const char* too_long = "too_long";
}  // namespace line_problem

}  // namespace nl
