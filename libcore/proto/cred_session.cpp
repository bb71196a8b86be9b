#include "libcore/proto/cred_session.hpp"

namespace nl {

std::unique_ptr<CredSessionParser> CredSessionSink::make_parser() {
  return std::make_unique<CredSessionParser>(
      opts_, [this](const CredAttempt& a) { cred_(current(), a); },
      [this](const SmtpTransaction& t) { smtp_(current(), t); }, &stats_);
}

}  // namespace nl
