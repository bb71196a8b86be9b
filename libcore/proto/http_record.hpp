// The "http" JSON Lines record: one per transaction (request and its response).
// Field list, units and null rules: docs/schema (type "http"). Anything not on
// the wire is null, never invented.
#pragma once
#include "libcore/json/writer.hpp"
#include "libcore/proto/http_session.hpp"
#include "libcore/reasm/session.hpp"
#include "libcore/time.hpp"

namespace nl {

void write_http_record(JsonWriter& w, const SessionView& s, const HttpTransaction& t,
                       const HttpOptions& o, TimeFormat tf);

}  // namespace nl
