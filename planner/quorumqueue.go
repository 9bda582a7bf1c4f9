package planner

import (
	"iter"
	"time"
)

// quorumQueue is the Planner's queue of quorums: which quorums the AVS has and which of them the
// planner may touch, which need a whole-quorum refresh (or their members resolved) and when, which
// are in outstanding batches, and their retry state. Sweeps and deadlines are the Planner's: it
// hands their quorums out through claim like the dirty ones.
//
// Its invariants (checked by check in the tests): every dirty quorum is in scope; a quorum is
// handed out (claimed) only when not processing, so it is in at most one outstanding batch;
// failures stay below the MaxFailures they are counted against, and a quorum with failures is in
// its retry path (dirty or processing); a set-aside quorum is in scope and not dirty.
type quorumQueue struct {
	// filter is Config.Quorums: the quorums the planner may touch.
	filter quorumFilter
	// known is the AVS's quorums: setKnown (the Config.Quorums until then), plus quorums learnt
	// from configuration events. Sweeps and deadlines cover known quorums in scope.
	known quorumSet
	// dirty holds quorums in scope needing a whole-quorum refresh, with when they are ready and
	// why. A quorum dirtied while processing stays here until it is released.
	dirty map[uint8]dirtyQuorum
	// processing holds the quorums of outstanding batches; ready skips them, so a quorum is in at
	// most one outstanding batch.
	processing quorumSet
	// failures counts each quorum's consecutive failed refreshes, below MaxFailures; a quorum
	// with an entry is in its retry path (dirty or processing), which the deadline check leaves
	// alone. A quorum dropped from known while processing keeps its entry until it is released,
	// which forgets it.
	failures map[uint8]int
	// aside are quorums whose refresh failed MaxFailures times: not dirty, nor handed out for
	// their deadline, until a configuration event for them or clearRetries.
	aside quorumSet
}

// dirtyQuorum is a quorum waiting for a whole-quorum refresh, or for its members to be resolved.
type dirtyQuorum struct {
	ready  time.Time
	reason Reason
	// mode says how the quorum goes into a batch: QuorumRefresh, QuorumMembers or
	// QuorumMembersOnly.
	mode QuorumMode
}

// newQuorumQueue returns a queue limited to scope (every quorum when empty), knowing those.
func newQuorumQueue(scope []uint8) quorumQueue {
	return quorumQueue{
		filter:   newQuorumFilter(scope),
		known:    quorumsOf(scope),
		dirty:    make(map[uint8]dirtyQuorum),
		failures: make(map[uint8]int),
	}
}

// setKnown replaces the known quorums, and drops the dirty, failing (unless processing) and
// set-aside quorums outside them.
func (qq *quorumQueue) setKnown(quorums []uint8) {
	qq.known = quorumsOf(quorums)
	for q := range qq.dirty {
		if !qq.known.has(q) {
			delete(qq.dirty, q)
		}
	}
	for q := range qq.failures {
		if !qq.known.has(q) && !qq.processing.has(q) {
			delete(qq.failures, q)
		}
	}
	qq.aside = qq.aside.intersect(qq.known)
}

// learn adds q to the known quorums.
func (qq *quorumQueue) learn(q uint8) { qq.known.add(q) }

// inScope returns the known quorums the filter lets the planner touch.
func (qq *quorumQueue) inScope() quorumSet { return qq.filter.apply(qq.known) }

// free returns the quorums in scope not in an outstanding batch.
func (qq *quorumQueue) free() quorumSet { return qq.inScope().minus(qq.processing) }

// configChanged gives q, in scope, a configuration change: a set-aside or failing refresh gets its
// chance again, and q's members are resolved once ready, unless q is dirty already, which it
// reports.
func (qq *quorumQueue) configChanged(q uint8, ready time.Time) (coalesced bool) {
	qq.aside.remove(q)
	delete(qq.failures, q)
	if _, ok := qq.dirty[q]; ok {
		return true
	}
	qq.dirty[q] = dirtyQuorum{ready: ready, reason: ReasonConfig, mode: QuorumMembers}
	return false
}

// requeue makes q, if in scope, dirty in the given mode, ready no later than at. A refresh
// already pending wins over resolving members, which it covers. q is not set aside: the Planner
// requeues only quorums it takes back from a batch.
func (qq *quorumQueue) requeue(q uint8, at time.Time, reason Reason, mode QuorumMode) {
	if !qq.inScope().has(q) {
		return
	}
	d, ok := qq.dirty[q]
	if !ok || at.Before(d.ready) {
		d.ready = at
	}
	if !ok || mode == QuorumRefresh && d.mode == QuorumMembers || mode == QuorumMembersOnly {
		d.mode = mode
	}
	d.reason = mostUrgent(d.reason, reason)
	qq.dirty[q] = d
}

// ready iterates over the dirty quorums not processing and ready at now; with deadlineOnly, only
// those dirty for their deadline.
func (qq *quorumQueue) ready(now time.Time, deadlineOnly bool) iter.Seq2[uint8, dirtyQuorum] {
	return func(yield func(uint8, dirtyQuorum) bool) {
		for q, d := range qq.dirty {
			if qq.processing.has(q) || d.ready.After(now) || (deadlineOnly && d.reason != ReasonDeadline) {
				continue
			}
			if !yield(q, d) {
				return
			}
		}
	}
}

// earliest returns the earliest ready time of the dirty quorums not processing (with
// deadlineOnly, of those dirty for their deadline); false when there are none.
func (qq *quorumQueue) earliest(deadlineOnly bool) (time.Time, bool) {
	var at time.Time
	found := false
	for q, d := range qq.dirty {
		if qq.processing.has(q) || (deadlineOnly && d.reason != ReasonDeadline) {
			continue
		}
		if !found || d.ready.Before(at) {
			at, found = d.ready, true
		}
	}
	return at, found
}

// claim hands out qs, none of them processing: they are no longer dirty, and processing until
// released.
func (qq *quorumQueue) claim(qs quorumSet) {
	for _, q := range qs.list() {
		delete(qq.dirty, q)
	}
	qq.processing = qq.processing.union(qs)
}

// release takes q back from processing; dirty meanwhile, it is ready again. A quorum that left
// the scope meanwhile leaves its retry path too: learnt again, it starts with no failures, so
// that the deadline check hands it out.
func (qq *quorumQueue) release(q uint8) {
	qq.processing.remove(q)
	if !qq.inScope().has(q) {
		delete(qq.failures, q)
	}
}

// landed forgets q's failed refreshes: its refresh landed.
func (qq *quorumQueue) landed(q uint8) { delete(qq.failures, q) }

// failureCount returns q's consecutive failed refreshes.
func (qq *quorumQueue) failureCount(q uint8) int { return qq.failures[q] }

// fail takes q back after a failed refresh and counts the failure: q comes back as
// QuorumMembersOnly after backoff(failures so far), or, at maxFailures (above 0) in a row, is set
// aside until a configuration event or clearRetries, which fail reports. A quorum out of scope is
// only taken back (released).
func (qq *quorumQueue) fail(q uint8, now time.Time, reason Reason, maxFailures int, backoff func(int) time.Duration) (setAside bool) {
	qq.release(q)
	if !qq.inScope().has(q) {
		return false
	}
	qq.failures[q]++
	if n := qq.failures[q]; maxFailures > 0 && n >= maxFailures {
		delete(qq.failures, q)
		delete(qq.dirty, q)
		qq.aside.add(q)
		return true
	}
	qq.requeue(q, now.Add(backoff(qq.failures[q])), reason, QuorumMembersOnly)
	return false
}

// retrying returns the quorums waiting for a retry or set aside: the deadline check leaves them to
// that path instead of handing them out again at once.
func (qq *quorumQueue) retrying() quorumSet {
	s := qq.aside
	for q := range qq.failures {
		s.add(q)
	}
	return s
}

// clearRetries forgets every failure count and set-aside quorum: a sweep gives them their chance
// again.
func (qq *quorumQueue) clearRetries() {
	clear(qq.failures)
	qq.aside = quorumSet{}
}
