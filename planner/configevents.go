package planner

import "github.com/avs-sync/avs-sync/watcher"

// Quorum configuration events that change no weight, or only the weights of some quorums.
const (
	// eventOperatorSetParams changes the maximum operator count and churn thresholds: no weight.
	// It is also emitted when a quorum is created, which makes the quorum known.
	eventOperatorSetParams = "OperatorSetParamsUpdated"
	// eventLookAhead changes the stake lookahead, which only slashable quorums read.
	eventLookAhead = "LookAheadPeriodChanged"
)

// observeQuorumConfig applies a quorum configuration event. A change that moves weights
// (strategies added or removed, a multiplier, the minimum stake, a lookahead for slashable
// quorums) makes every operator of the quorum a candidate (QuorumMembers), resolved like any
// batch: only the stale ones are sent, in the cheapest shape. A change that moves no weight sends
// nothing.
func (p *Planner) observeQuorumConfig(ev watcher.Event) {
	if ev.Quorum == watcher.NoQuorum {
		// LookAheadPeriodChanged names no quorum: it concerns every slashable one.
		for _, q := range p.inScope().intersect(p.slashable).list() {
			ev.Quorum = int(q)
			p.observeQuorumConfig(ev)
		}
		return
	}
	q, ok := quorumOf(ev)
	if !ok {
		return
	}
	if ev.Removed {
		// The quorum may not exist on the new chain.
		p.needsReload = true
	} else {
		// Also how a newly created quorum becomes known.
		p.quorums.learn(q)
	}
	if !p.inScope().has(q) {
		p.stats.NotOurs++
		return
	}
	if ev.Name == eventOperatorSetParams || (ev.Name == eventLookAhead && !p.slashable.has(q)) {
		return
	}
	// A new configuration gives a set-aside quorum its chance again.
	if p.quorums.configChanged(q, p.now().Add(p.cfg.Debounce)) {
		p.stats.Coalesced++
	}
}
