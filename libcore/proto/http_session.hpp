// HTTP over reassembled TCP sessions: the SessionSink that runs one
// HttpSessionParser per session and hands each finished transaction on.
#pragma once
#include <functional>
#include <memory>

#include "libcore/proto/http.hpp"
#include "libcore/reasm/parser_per_session.hpp"

namespace nl {

// One HttpSessionParser per TCP session (reasm/parser_per_session.hpp).
class HttpSessionSink : public ParserPerSession<HttpSessionParser> {
 public:
  using Emit = std::function<void(const SessionView&, const HttpTransaction&)>;
  // opts must outlive the sink.
  HttpSessionSink(const HttpOptions& opts, Emit emit) : opts_(opts), emit_(std::move(emit)) {}

  const HttpStats& stats() const { return stats_; }

 private:
  std::unique_ptr<HttpSessionParser> make_parser() override;

  const HttpOptions& opts_;
  Emit emit_;
  HttpStats stats_;
};

}  // namespace nl
