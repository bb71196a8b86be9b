// What a user chose on the command line about reading packets, shared by every
// binary that reads captures (declared by cli/options.hpp, used by the stage
// runtime). Plain data: no option parser here.
#pragma once
#include <string>
#include <vector>

#include "libcore/capture/live.hpp"
#include "libcore/cli/progress.hpp"
#include "libcore/time.hpp"

namespace nl::cli {

struct CaptureOptions {
  std::vector<std::string> inputs;   // empty: stdin
  std::string filter;                // BPF expression, for files, stdin and live capture
  LiveOptions live;                  // live.interface non-empty: capture live
  TimeFormat time = TimeFormat::iso;
  bool strict = false;               // stop at the first malformed input line
  bool pass = false;                 // copy input records the stage does not consume
  bool stats = false;                // counters on stderr at the end
  bool line_buffered = false;        // --line-buffered: a flush per record
  ProgressMode progress = ProgressMode::automatic;
  uint16_t community_id_seed = 0;
  // As typed, checked by check_capture_options.
  std::string time_text = "iso";
  bool no_promisc = false;
};

}  // namespace nl::cli
