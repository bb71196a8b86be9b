// Flows named by records of any type (pkt2pcap --flows): each record's EVE
// 5-tuple ("src_ip", "src_port", "dest_ip", "dest_port", "proto"), or its
// "community_id" when it has no addresses. A packet belongs to a named flow in
// either direction; a non-first IP fragment (no ports) to a named flow of its
// addresses and protocol.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "libcore/decode/packet.hpp"
#include "libcore/flow/key.hpp"

namespace nl {

class FlowSelection {
 public:
  enum class Added { flow, none, not_json };
  // One JSON line: flow when it named a flow; none when it has neither a 5-tuple
  // nor a community_id (or an unusable one); not_json when it is not a JSON object.
  Added add(std::string_view line);
  bool matches(const Decoded& d) const;
  size_t size() const { return keys_.size() + community_ids_.size(); }

 private:
  struct Hash {
    size_t operator()(const FlowKey& k) const { return size_t(table_hash(k)); }
  };
  std::unordered_set<FlowKey, Hash> keys_;       // canonical, VLAN 0; ICMP without type and code
  std::unordered_set<FlowKey, Hash> addresses_;  // the same without ports, for fragments
  std::unordered_set<std::string> community_ids_;
};

}  // namespace nl
