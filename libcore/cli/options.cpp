#include "libcore/cli/options.hpp"

#include <cstdlib>

#include "libcore/cli/common.hpp"
#include "libcore/flow/key.hpp"
#include "libcore/version.hpp"

namespace nl::cli {

namespace {

void add_exit_status_footer(CLI::App& app, const std::string& status_1) {
  app.footer("Exit status: 0 on success, 1 if " + status_1 +
             ", 2 on usage errors,\n"
             "128 + the signal number when SIGINT (130), SIGTERM (143) or SIGHUP (129) stopped the run.");
}

void add_version_flag(CLI::App& app) {
  app.add_flag_callback(
      "--version",
      [] {
        Output::stdout_().buffer() += program() + " (netlines) " NETLINES_VERSION "\n";
        Output::stdout_().finish();
        std::exit(kExitOk);
      },
      "Print the version and exit");
}

}  // namespace

void parse_or_exit(CLI::App& app, int argc, char** argv, const std::string& status_1) {
  add_version_flag(app);
  add_exit_status_footer(app, status_1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    Output::stdout_().buffer() += app.help();
    Output::stdout_().finish();
    std::exit(kExitOk);
  } catch (const CLI::CallForAllHelp&) {
    Output::stdout_().buffer() += app.help("", CLI::AppFormatMode::All);
    Output::stdout_().finish();
    std::exit(kExitOk);
  } catch (const CLI::ParseError& e) {
    error(e.what());
    write_stderr("Try '" + program() + " --help' for more information.\n");
    std::exit(kExitUsage);
  }
}

CLI::Option* add_size_option(CLI::App& app, const std::string& name, uint64_t& target, const std::string& help) {
  return app.add_option_function<std::string>(
             name,
             [&target, name](const std::string& v) {
               if (!parse_size(v, target)) throw CLI::ValidationError(name, "expected a size like 65536, 64k, 1M or 2G, got '" + v + "'");
             },
             help)
      ->type_name("SIZE");
}

void add_progress_options(CLI::App& app, ProgressMode& mode) {
  // The last one given wins (CLI11 runs callbacks in definition order, so look at
  // the command line's order).
  auto decide = [&app, &mode] {
    for (const CLI::Option* o : app.parse_order()) {
      if (o->check_lname("progress")) mode = ProgressMode::on;
      else if (o->check_lname("no-progress")) mode = ProgressMode::off;
    }
  };
  app.add_flag_callback("--progress", decide,
                        "Show a progress line on stderr even when it is not a terminal (default: on a terminal, for files)");
  app.add_flag_callback("--no-progress", decide, "Never show the progress line");
}

void add_capture_options(CLI::App& app, CaptureOptions& o, const CaptureOptionSet& set) {
  app.add_option("FILE", o.inputs, set.inputs_help);
  app.add_option("-f,--filter", o.filter, "BPF filter expression (tcpdump syntax), for files and live capture");
  app.add_option("-i,--interface", o.live.interface, "Capture live from this interface instead of reading files");
  app.add_option("-s,--snaplen", o.live.snaplen, "Live capture: bytes to capture per packet")->check(CLI::Range(1, 262144));
  app.add_flag("-p,--no-promisc", o.no_promisc, "Live capture: do not put the interface into promiscuous mode");
  app.add_option("-c,--count", o.live.count, "Live capture: stop after this many packets")->check(CLI::NonNegativeNumber);
  app.add_option("-B,--buffer-size", o.live.buffer_kib, "Live capture: kernel capture buffer in KiB (default 2048), as tcpdump's -B")
      ->check(CLI::Range(1, 2097151));
  app.add_flag("--immediate-mode", o.live.immediate,
               "Live capture: hand each packet over at once rather than in blocks of up to 100 ms\n"
               "(less delay, more drops under load)");
  if (set.writes_records)
    app.add_flag("--line-buffered", o.line_buffered,
                 "Write each record out at once (live input is written out when idle and at least once a second anyway)");
  if (set.writes_records)
    app.add_option("--time", o.time_text, "Timestamps: iso (ISO 8601 UTC, default) or epoch (seconds since 1970)");
  if (set.reads_json_lines) {
    app.add_flag("--strict", o.strict, "Stop at the first malformed input line");
    if (set.writes_records) app.add_flag("--pass", o.pass, set.pass_help);
  }
  app.add_option("--community-id-seed", o.community_id_seed, "Seed of the Community ID hash (default 0), as set in Zeek or Suricata")
      ->check(CLI::Range(0, 65535));
  app.add_flag("--stats", o.stats, "Print counters on stderr at the end");
  app.add_option("--shard", o.shard_text,
                 "Keep only the flows of shard K of N (both directions, every fragment; docs/sharding.md)")
      ->type_name("K/N");
  app.add_option("--fanout", o.live.fanout_group,
                 "Live capture: join the kernel's AF_PACKET fanout group ID (flow hash, defragmented), one worker of N")
      ->type_name("ID")
      ->check(CLI::Range(1, 65535));
  add_progress_options(app, o.progress);
}

bool check_capture_options(CaptureOptions& o) {
  if (o.time_text == "iso") {
    o.time = TimeFormat::iso;
  } else if (o.time_text == "epoch") {
    o.time = TimeFormat::epoch;
  } else {
    error("--time: expected iso or epoch, got '" + o.time_text + "'");
    return false;
  }
  if (!o.filter.empty()) {
    std::string err;
    BpfFilterSet check(o.filter);
    if (!check.check(err)) {
      error("bad filter expression: " + err);
      return false;
    }
  }
  if (!o.shard_text.empty()) {
    std::string err;
    if (!parse_shard(o.shard_text, o.shard, err)) {
      error(err);
      return false;
    }
    // Records passed through unchanged belong to no flow: shard 1 writes them, once.
    if (o.shard.k != 1) o.pass = false;
  }
  if (o.live.fanout_group && o.live.interface.empty()) {
    error("--fanout: only with live capture (-i IFACE)");
    return false;
  }
  set_community_id_seed(o.community_id_seed);
  o.live.filter = o.filter;
  o.live.promiscuous = !o.no_promisc;
  return true;
}

}  // namespace nl::cli
