#include "libcore/proto/http_session.hpp"

namespace nl {

void HttpSessionSink::monologue(const SessionView& s, const MonologuePiece& p) {
  auto it = parsers_.find(s.session_no);
  if (it == parsers_.end()) {
    it = parsers_
             .emplace(s.session_no, std::make_unique<HttpSessionParser>(
                                        opts_, [this](const HttpTransaction& t) { emit_(*cur_, t); }, &stats_))
             .first;
  }
  if (it->second->done()) {
    s.want_data = false;  // nothing more to parse: the engine may stop buffering
    return;
  }
  cur_ = &s;
  it->second->feed(p);
}

void HttpSessionSink::session_end(const SessionView& s, const SessionEnd& e) {
  auto it = parsers_.find(s.session_no);
  if (it == parsers_.end()) return;
  cur_ = &s;
  it->second->finish(e.reason);
  parsers_.erase(it);
}

}  // namespace nl
