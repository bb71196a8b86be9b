// The --stats text every binary prints at the end: "tool: summary:" and then one
// "  name: value" line per counter, on stderr, in the order added.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nl::cli {

// Appends "  name: value\n" (name = prefix + key).
void append_counter(std::string& out, std::string_view name, uint64_t value);
void append_counter(std::string& out, std::string_view prefix, std::string_view key, uint64_t value);

class Summary {
 public:
  // For the describe(std::string&) functions of the stats structs.
  std::string& text() { return text_; }
  Summary& add(std::string_view name, uint64_t value) {
    append_counter(text_, name, value);
    return *this;
  }
  // Every (key, value) of a stats struct's named(), as prefix + key.
  Summary& add_all(std::string_view prefix, const std::vector<std::pair<const char*, uint64_t>>& named) {
    for (const auto& [k, v] : named) append_counter(text_, prefix, k, v);
    return *this;
  }
  // "tool: summary:" and the lines, through error() (so a progress line is cleared first).
  void print() const;

 private:
  std::string text_ = "summary:\n";
};

}  // namespace nl::cli
