#include "libcore/proto/http_session.hpp"

namespace nl {

std::unique_ptr<HttpSessionParser> HttpSessionSink::make_parser() {
  return std::make_unique<HttpSessionParser>(
      opts_, [this](const HttpTransaction& t) { emit_(current(), t); }, &stats_);
}

}  // namespace nl
