// Package watcher turns the chain's logs into typed Events for the planner, in block order, in
// Batches that also carry the chain head.
//
// How it reads the chain. In polling mode, and in websocket mode while the subscription is
// down or does not cover the blocks to read (after a restart, a reconnect, or with
// Confirmations), what a Batch contains comes from verified range reads over HTTP (eth_getLogs
// filtered by contract address and topic0, by block hash when the range is one block), checked
// against the block hashes already emitted.
//
// Live path. In websocket mode a logs subscription with the same filter delivers our logs as
// their blocks arrive. Once a verified read has run after the subscription was made, every block
// above the head it read is covered: events then come from the subscription, emitted as soon as
// its logs arrive (those of one block gathered for a moment), and a block without logs of ours
// costs nothing. The head is read over HTTP every two block times and the blocks up to the
// previous read's head go out (the subscription has had two block times to deliver their logs); every VerifyInterval one range read of eth_getLogs over the blocks emitted
// since the last one emits any log the subscription did not deliver (late: after its block went
// out, logged at warning level), and checks that the blocks events were emitted in, and the last
// block emitted, are still canonical. A log comes out once whichever source delivers it first:
// logs are remembered by block hash and index over the reorganisation window. A newHeads
// subscription is made only until the block time is measured: each notification is a whole
// header, which a provider bills by the byte.
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
// Idle cost. With the subscription live, an idle block costs half a header read (the head every
// two block times), plus one eth_getLogs and one or two headers every VerifyInterval: about 12
// Alchemy compute units a block at 6 s blocks, where reading every block's logs cost 85-90
// (docs/benchmarks.md).
//
// Reconnection. When the websocket drops or cannot connect, the watcher keeps reading over HTTP
// every PollInterval and re-establishes the subscription with capped exponential backoff; the
// first read after it is back (a verified backfill in log-range chunks from the last emitted
// block) catches up on whatever the outage hid, and the live path resumes above the head it
// read.
//
// Reorganisations. The watcher remembers the hashes of the blocks it emitted up to ReorgWindow
// blocks back, and the events it emitted there. Before it emits more, it checks that the last
// emitted block is still canonical; if not it walks back to the newest remembered block that is
// (the fork point), emits every event it had emitted above it again with Removed set, and reads
// the chain from the fork point on, emitting what the new chain holds. On the live path the
// subscription reports the logs a reorganisation withdrew: an emitted one goes out again with
// Removed set at once, and the chain is read by the verified path. A log the new chain
// includes again therefore comes out twice, once removed and once not: harmless, since the
// planner re-reads chain state for whatever an event names. With Confirmations N, blocks are read
// only once N blocks bury them, so a log reorganised away within N blocks is never emitted.
package watcher
