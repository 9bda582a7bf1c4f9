package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// check returns the first broken invariant of those written on quorumQueue, failures counted
// against maxFailures.
func (qq *quorumQueue) check(maxFailures int) error {
	scope := qq.inScope()
	for q := range qq.dirty {
		if !scope.has(q) {
			return fmt.Errorf("dirty quorum %d out of scope", q)
		}
	}
	for q, n := range qq.failures {
		if maxFailures > 0 && n >= maxFailures {
			return fmt.Errorf("quorum %d has %d failures, not set aside at %d", q, n, maxFailures)
		}
		_, dirty := qq.dirty[q]
		if !dirty && !qq.processing.has(q) {
			return fmt.Errorf("quorum %d has failures but is neither dirty nor processing", q)
		}
	}
	for _, q := range qq.aside.list() {
		if _, dirty := qq.dirty[q]; dirty {
			return fmt.Errorf("set-aside quorum %d is dirty", q)
		}
		if !scope.has(q) {
			return fmt.Errorf("set-aside quorum %d out of scope", q)
		}
	}
	return nil
}

// A random sequence of what the Planner does with its quorum queue keeps the queue's invariants,
// hands a quorum out in at most one outstanding batch, hands out only what is ready, and loses no
// dirty quorum: each stays dirty until handed out, set aside, given a new configuration or
// dropped from the known quorums.
func TestQuorumQueueInvariants(t *testing.T) {
	const maxFailures = 2
	backoff := func(n int) time.Duration { return time.Duration(n) * time.Second }
	modes := []QuorumMode{QuorumRefresh, QuorumMembers, QuorumMembersOnly}
	reasons := []Reason{ReasonDirty, ReasonConfig, ReasonSweep, ReasonDeadline}

	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 2))
		scope := []uint8{0, 1, 2, 3, 4, 5} // of quorums 0 to 7
		if seed%3 == 0 {
			scope = nil // every quorum
		}
		qq := newQuorumQueue(scope)
		now := t0
		var batches []quorumSet
		owed := map[uint8]bool{}
		pick := func() uint8 { return uint8(rng.IntN(8)) }
		handOut := func(qs quorumSet, what string) {
			for _, b := range batches {
				if !b.intersect(qs).empty() {
					t.Fatalf("seed %d: %s hands out %v, already in batch %v", seed, what, qs.list(), b.list())
				}
			}
			if !qs.intersect(qq.processing).empty() {
				t.Fatalf("seed %d: %s hands out %v, processing %v", seed, what, qs.list(), qq.processing.list())
			}
			qq.claim(qs)
			for _, q := range qs.list() {
				delete(owed, q)
			}
			if !qs.empty() {
				batches = append(batches, qs)
			}
		}

		for step := range 400 {
			switch rng.IntN(10) {
			case 0:
				var known []uint8
				for q := range uint8(8) {
					if rng.IntN(4) > 0 {
						known = append(known, q)
					}
				}
				qq.setKnown(known)
				for q := range owed {
					if !slices.Contains(known, q) {
						delete(owed, q)
					}
				}
			case 1:
				qq.learn(pick())
			case 2:
				if q := pick(); qq.inScope().has(q) {
					qq.configChanged(q, now.Add(time.Duration(rng.IntN(3))*time.Second))
					owed[q] = true
				}
			case 3:
				q := pick()
				if qq.aside.has(q) {
					continue // the Planner requeues only what it takes back
				}
				qq.requeue(q, now.Add(time.Duration(rng.IntN(3))*time.Second), reasons[rng.IntN(len(reasons))], modes[rng.IntN(len(modes))])
				if qq.inScope().has(q) {
					owed[q] = true
				}
			case 4:
				deadlineOnly := rng.IntN(3) == 0
				var qs quorumSet
				for q, d := range qq.ready(now, deadlineOnly) {
					if d.ready.After(now) || (deadlineOnly && d.reason != ReasonDeadline) {
						t.Fatalf("seed %d: ready yields quorum %d ready at %v for %v at %v", seed, q, d.ready, d.reason, now)
					}
					qs.add(q)
				}
				handOut(qs, "ready")
				if at, ok := qq.earliest(false); ok && !at.After(now) && !deadlineOnly {
					for q, d := range qq.dirty {
						if !qq.processing.has(q) && !d.ready.After(now) {
							t.Fatalf("seed %d: quorum %d ready at %v still waits at %v", seed, q, d.ready, now)
						}
					}
				}
			case 5:
				if rng.IntN(4) == 0 {
					// A sweep takes every free quorum and gives set-aside work its chance.
					handOut(qq.free(), "sweep")
					qq.clearRetries()
					break
				}
				// Deadlines take some of the free quorums not retrying.
				var qs quorumSet
				for _, q := range qq.free().minus(qq.retrying()).list() {
					if rng.IntN(2) == 0 {
						qs.add(q)
					}
				}
				handOut(qs, "deadline")
			case 6, 7:
				b, ok := takeRandom(rng, &batches)
				if !ok {
					continue
				}
				for _, q := range b.list() {
					switch rng.IntN(3) {
					case 0:
						qq.release(q)
						qq.landed(q)
					case 1:
						qq.release(q)
						qq.requeue(q, now, ReasonDirty, QuorumRefresh)
					default:
						if qq.fail(q, now, ReasonDirty, maxFailures, backoff) {
							if !qq.aside.has(q) {
								t.Fatalf("seed %d: quorum %d set aside but not in aside", seed, q)
							}
							delete(owed, q)
							continue
						}
					}
					if _, ok := qq.dirty[q]; ok {
						owed[q] = true
					}
				}
			case 8:
				if rng.IntN(4) == 0 {
					qq.clearRetries()
				}
				now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
			case 9:
				if at, ok := qq.earliest(false); ok {
					for q, d := range qq.dirty {
						if !qq.processing.has(q) && d.ready.Before(at) {
							t.Fatalf("seed %d: earliest %v, quorum %d ready at %v", seed, at, q, d.ready)
						}
					}
				}
			}
			if err := qq.check(maxFailures); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			var inBatches quorumSet
			for _, b := range batches {
				inBatches = inBatches.union(b)
			}
			if inBatches != qq.processing {
				t.Fatalf("seed %d step %d: processing %v, outstanding batches hold %v", seed, step, qq.processing.list(), inBatches.list())
			}
			for q := range owed {
				if _, ok := qq.dirty[q]; !ok {
					t.Fatalf("seed %d step %d: dirty quorum %d lost", seed, step, q)
				}
			}
		}
	}
}

// A pending refresh wins over resolving members, which it covers; a failed refresh's members-only
// round wins over both; the ready time only moves earlier and the reason only to a more urgent one.
func TestQuorumQueueRequeue(t *testing.T) {
	tests := []struct {
		name   string
		first  QuorumMode
		then   QuorumMode
		want   QuorumMode
		reason Reason
	}{
		{"refresh covers members", QuorumMembers, QuorumRefresh, QuorumRefresh, ReasonConfig},
		{"members do not undo a refresh", QuorumRefresh, QuorumMembers, QuorumRefresh, ReasonConfig},
		{"members only after a failed refresh", QuorumRefresh, QuorumMembersOnly, QuorumMembersOnly, ReasonDeadline},
		{"refresh keeps a members-only round", QuorumMembersOnly, QuorumRefresh, QuorumMembersOnly, ReasonDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qq := newQuorumQueue(nil)
			qq.setKnown([]uint8{0})
			qq.requeue(0, t0.Add(time.Second), ReasonConfig, tt.first)
			qq.requeue(0, t0.Add(2*time.Second), tt.reason, tt.then)
			d := qq.dirty[0]
			if d.mode != tt.want || !d.ready.Equal(t0.Add(time.Second)) || d.reason != mostUrgent(ReasonConfig, tt.reason) {
				t.Fatalf("dirty %+v, want %v ready at +1s for %v", d, tt.want, mostUrgent(ReasonConfig, tt.reason))
			}
			if err := qq.check(0); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Out of scope, nothing is queued.
	qq := newQuorumQueue([]uint8{1})
	qq.requeue(0, t0, ReasonDirty, QuorumRefresh)
	if len(qq.dirty) != 0 {
		t.Fatalf("quorum out of scope queued: %v", qq.dirty)
	}
}
