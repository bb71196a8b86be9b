// The per-conversation states of a datagram analyser (QUIC, DTLS), kept in a map
// from the canonical 5-tuple to a state with `int64_t last_ns` (capture time it was
// last seen), and bounded two ways: states idle past a timeout go at a sweep made
// every 10 s of capture time, and a full table drops its least recently seen
// eighth at once, so that a flood of new 5-tuples costs one pass per many
// insertions. `drop(it)` is the analyser's: it writes what the state holds and
// erases it.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "libcore/time.hpp"

namespace nl {

// Whether the sweep of idle states is due at `ts` (then the next is 10 s later).
inline bool idle_sweep_due(const Timestamp& ts, int64_t& next_sweep_sec) {
  if (ts.sec < next_sweep_sec) return false;
  next_sweep_sec = ts.sec + 10;
  return true;
}

// Drops every state last seen before now - idle_ns, or every state when `all`.
template <class Map, class Drop>
void drop_idle_states(Map& states, const Timestamp& now, uint64_t idle_ns, bool all, Drop&& drop) {
  int64_t limit = now.total_nsec() - int64_t(idle_ns);
  for (auto it = states.begin(); it != states.end();) {
    auto next = std::next(it);
    if (all || it->second->last_ns < limit) drop(it);
    it = next;
  }
}

// Drops the least recently seen eighth of the states (at least one); returns how
// many. Ties keep the map's order, so a run drops the same states every time.
template <class Map, class Drop>
size_t drop_least_recent_states(Map& states, Drop&& drop) {
  using Key = typename Map::key_type;
  std::vector<std::pair<int64_t, const Key*>> order;
  order.reserve(states.size());
  for (auto& [k, s] : states) order.push_back({s->last_ns, &k});
  size_t n = std::max<size_t>(1, order.size() / 8);
  std::nth_element(order.begin(), order.begin() + (n - 1), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // A node-based map keeps the other states where they are when one is erased.
  for (size_t i = 0; i < n; ++i) drop(states.find(*order[i].second));
  return n;
}

}  // namespace nl
