// Package watcher turns the chain's logs into typed Events for the planner, in block order, in
// Batches that also carry the chain head.
//
// How it reads the chain. What a Batch contains always comes from range reads over HTTP
// (eth_getLogs filtered by contract address and topic0, by block hash when the range is one
// block), checked against the block hashes already emitted; the transport only decides when to
// look. In websocket mode a newHeads subscription makes the watcher look as soon as a block
// arrives, and a logs subscription with the same filter reports logs the node withdrew in a
// reorganisation so that the watcher checks the chain at once. The subscription's own logs are
// not emitted: geth delivers the two subscriptions independently, so a head can arrive before the
// logs of its block, and only a range read can say that a block's logs are complete. Because
// every block is read exactly once, by number in order, nothing is emitted twice at the boundary
// between a backfill and live operation, and nothing is skipped when the websocket drops.
//
// Verified ranges. A range of several blocks is checked block by block: its headers, read in one
// batched request, must chain (each parent hash is the previous block's hash) from the last block
// emitted, and each log must name the hash of its block in that chain. A range answer is not
// trusted further than it proves: behind a load balancer, a lagging backend stops at its own head
// without an error, so the blocks above the last one the answer holds logs of are read again by
// block hash wherever their header's bloom may hold logs of ours, as is a block whose logs name a
// hash of another fork. A by-hash read is exact or fails; a failure is retried.
//
// Provider limits. A range the node refuses as too large ("query exceeds max block range",
// "more than 10000 results", -32005) is halved, down to one block, and doubles back towards
// MaxRange after reads succeed. While blocks cannot be read, head-only Batches keep the consumer's
// head on the node's: after each failed read, at each websocket head while the reads are retried,
// and once a poll interval during a long backfill.
//
// AVS address. RegistryCoordinator.setAVS (AVSUpdated) moves the operator sets the AVS's
// allocations are keyed by: allocation events are kept for the new address from that log on, and
// for the old one again if a reorganisation withdraws it.
//
// Idle cost. In websocket mode a poll tick reads the head over HTTP only once the subscription has
// been silent for longer than a block time and a half (configured, or the median interval of its
// heads), so a live subscription costs one eth_getLogs per block.
//
// Reconnection. When the websocket drops or cannot connect, the watcher keeps reading over HTTP
// every PollInterval and re-establishes the subscription with capped exponential backoff; the
// first read after it is back (a backfill in log-range chunks from the last emitted block) catches
// up on whatever the outage hid.
//
// Reorganisations. The watcher remembers the hashes of the blocks it emitted up to ReorgWindow
// blocks back, and the events it emitted there. Before it emits more, it checks that the last
// emitted block is still canonical; if not it walks back to the newest remembered block that is
// (the fork point), emits every event it had emitted above it again with Removed set, and reads
// the chain from the fork point on, emitting what the new chain holds. A log the new chain
// includes again therefore comes out twice, once removed and once not: harmless, since the
// planner re-reads chain state for whatever an event names. With Confirmations N, blocks are read
// only once N blocks bury them, so a log reorganised away within N blocks is never emitted.
package watcher
