#include "libcore/proto/cred_session.hpp"

namespace nl {

void CredSessionSink::monologue(const SessionView& s, const MonologuePiece& p) {
  auto it = parsers_.find(s.session_no);
  if (it == parsers_.end()) {
    it = parsers_
             .emplace(s.session_no, std::make_unique<CredSessionParser>(
                                        opts_, [this](const CredAttempt& a) { cred_(*cur_, a); },
                                        [this](const SmtpTransaction& t) { smtp_(*cur_, t); }, &stats_))
             .first;
  }
  if (it->second->done()) {
    stats_.bytes_ignored += p.data.size();
    s.want_data = false;  // nothing more to parse: the engine may stop buffering
    return;
  }
  cur_ = &s;
  it->second->feed(p);
}

void CredSessionSink::session_end(const SessionView& s, const SessionEnd& e) {
  auto it = parsers_.find(s.session_no);
  if (it == parsers_.end()) return;
  cur_ = &s;
  it->second->finish(e.reason);
  parsers_.erase(it);
}

}  // namespace nl
