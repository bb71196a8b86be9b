#include "libcore/cli/summary.hpp"

#include "libcore/cli/common.hpp"

namespace nl::cli {

void append_counter(std::string& out, std::string_view name, uint64_t value) {
  out += "  ";
  out += name;
  out += ": ";
  out += std::to_string(value);
  out += '\n';
}

void append_counter(std::string& out, std::string_view prefix, std::string_view key, uint64_t value) {
  out += "  ";
  out += prefix;
  out += key;
  out += ": ";
  out += std::to_string(value);
  out += '\n';
}

void Summary::print() const {
  // error() adds the last newline.
  error(std::string_view(text_).substr(0, text_.size() - 1));
}

}  // namespace nl::cli
