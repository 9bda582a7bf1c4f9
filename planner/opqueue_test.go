package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// check returns the first broken invariant of those written on operatorQueue, failures counted
// against maxFailures.
func (q *operatorQueue) check(maxFailures int) error {
	waitingCount := 0
	for op, d := range q.dirty {
		if !q.isRegistered(op) {
			return fmt.Errorf("dirty operator %s is not registered", op)
		}
		if d.op != op {
			return fmt.Errorf("dirty entry for %s holds %s", op, d.op)
		}
		_, busy := q.processing[op]
		switch {
		case busy && d.index >= 0:
			return fmt.Errorf("operator %s is both processing and waiting", op)
		case !busy && d.index < 0:
			return fmt.Errorf("dirty operator %s is neither processing nor waiting", op)
		case d.index >= 0:
			waitingCount++
			if d.index >= len(q.waiting) || q.waiting[d.index] != d {
				return fmt.Errorf("operator %s has a stale waiting index %d", op, d.index)
			}
		}
	}
	if waitingCount != len(q.waiting) {
		return fmt.Errorf("waiting holds %d entries, %d dirty operators are not processing", len(q.waiting), waitingCount)
	}
	for i := 1; i < len(q.waiting); i++ {
		if q.waiting[i].ready.Before(q.waiting[(i-1)/2].ready) {
			return fmt.Errorf("waiting is not a heap at %d", i)
		}
	}
	for op, n := range q.failures {
		if !q.isRegistered(op) {
			return fmt.Errorf("operator %s has %d failures but is not registered", op, n)
		}
		if maxFailures > 0 && n >= maxFailures {
			return fmt.Errorf("operator %s has %d failures, not set aside at %d", op, n, maxFailures)
		}
	}
	for op, g := range q.group {
		if !q.isRegistered(op) {
			return fmt.Errorf("operator %s of a failed list's part is not registered", op)
		}
		if q.heldBack[op] == HeldSetAside {
			return fmt.Errorf("set-aside operator %s is still in a failed list's part", op)
		}
		if g < 1 || g > q.groups {
			return fmt.Errorf("operator %s is in part %d of %d", op, g, q.groups)
		}
	}
	for op, r := range q.heldBack {
		if !q.isRegistered(op) {
			return fmt.Errorf("operator %s is held back (%s) but is not registered", op, r)
		}
	}
	for op := range q.firstEvents {
		if !q.isRegistered(op) {
			return fmt.Errorf("operator %s has a first event but is not registered", op)
		}
	}
	for op := range q.laterEvents {
		if _, ok := q.firstEvents[op]; !ok {
			return fmt.Errorf("operator %s has a later event but no first", op)
		}
	}
	return nil
}

// A random sequence of what the Planner does with its operator queue keeps the queue's
// invariants, hands an operator out in at most one outstanding batch, hands out only what is
// ready, and loses no dirty operator: each stays dirty until handed out, set aside or gone from
// the AVS.
func TestOperatorQueueInvariants(t *testing.T) {
	const maxFailures = 3
	universe := make([]common.Address, 12)
	for i := range universe {
		universe[i] = addr(i + 1)
	}
	backoff := func(n int) time.Duration { return time.Duration(n) * time.Second }

	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		q := newOperatorQueue()
		now := t0
		var batches [][]common.Address
		// owed holds the operators marked dirty and not since handed out, set aside or dropped.
		owed := map[common.Address]bool{}
		pick := func() common.Address { return universe[rng.IntN(len(universe))] }
		mark := func(op common.Address) { // as Planner.markDirty
			if !q.isRegistered(op) || q.isDirty(op) || q.held(op) == HeldSetAside {
				return
			}
			q.unhold(op)
			q.add(op, now.Add(time.Duration(rng.IntN(3))*time.Second))
			owed[op] = true
		}
		handOut := func(ops []common.Address, what string) {
			if !slices.IsSortedFunc(ops, common.Address.Cmp) {
				t.Fatalf("seed %d: %s handed out %v unsorted", seed, what, ops)
			}
			for _, op := range ops {
				for _, b := range batches {
					if slices.Contains(b, op) {
						t.Fatalf("seed %d: %s handed out %s, already in batch %v", seed, what, op, b)
					}
				}
				delete(owed, op)
			}
			if len(ops) > 0 {
				batches = append(batches, ops)
			}
		}

		for step := range 400 {
			switch rng.IntN(12) {
			case 0:
				var set []common.Address
				for _, op := range universe {
					if rng.IntN(4) > 0 {
						set = append(set, op)
					}
				}
				added := q.setRegistered(set)
				for _, op := range added {
					if !slices.Contains(set, op) {
						t.Fatalf("seed %d: setRegistered reports %s added, not in the set", seed, op)
					}
				}
				for op := range owed {
					if !q.isRegistered(op) {
						delete(owed, op)
					}
				}
			case 1:
				q.register(pick())
			case 2:
				op := pick()
				q.forget(op)
				delete(owed, op)
			case 3:
				mark(pick())
			case 4:
				if rng.IntN(4) == 0 {
					at := now.Add(time.Duration(rng.IntN(3)) * time.Second)
					q.notBefore(at)
					for _, d := range q.waiting {
						if d.ready.Before(at) {
							t.Fatalf("seed %d: %s ready at %v after notBefore(%v)", seed, d.op, d.ready, at)
						}
					}
				} else {
					mark(pick())
				}
			case 5:
				ops := q.popReady(now)
				for _, op := range ops {
					if !q.isRegistered(op) {
						t.Fatalf("seed %d: popReady handed out %s, not registered", seed, op)
					}
				}
				handOut(ops, "popReady")
				if at, ok := q.earliest(); ok && !at.After(now) {
					t.Fatalf("seed %d: an operator ready at %v still waits at %v", seed, at, now)
				}
			case 6:
				ops := q.popGroup(now)
				groups := map[int]bool{}
				for _, op := range ops {
					groups[q.group[op]] = true
				}
				if len(groups) > 1 {
					t.Fatalf("seed %d: popGroup handed out parts %v together", seed, groups)
				}
				handOut(ops, "popGroup")
			case 7, 8:
				b, ok := takeRandom(rng, &batches)
				if !ok {
					continue
				}
				var failed []common.Address
				for _, op := range b {
					switch rng.IntN(3) {
					case 0:
						q.landed(op)
					case 1:
						q.release(op)
						q.takeBack(op, now)
					default:
						q.release(op)
						if q.fail(op, now, maxFailures, backoff) {
							delete(owed, op) // set aside until a sweep
						} else {
							failed = append(failed, op)
						}
					}
					if q.isDirty(op) {
						owed[op] = true
					}
				}
				if len(failed) > 1 {
					q.split(failed, maxFailures)
				}
			case 9:
				if op := pick(); q.isRegistered(op) && !q.isDirty(op) {
					q.hold(op, []string{HeldImmaterial, HeldBudget}[rng.IntN(2)])
				}
			case 10:
				if rng.IntN(4) == 0 {
					q.clearRetries()
				}
				now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
			case 11:
				if op := pick(); q.isRegistered(op) {
					q.noteFirst(op, FirstEvent{At: now})
				} else {
					q.reflected(op)
				}
			}
			if err := q.check(maxFailures); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			inBatches := map[common.Address]bool{}
			for _, b := range batches {
				for _, op := range b {
					inBatches[op] = true
				}
			}
			if len(inBatches) != len(q.processing) {
				t.Fatalf("seed %d step %d: %d operators processing, %d in outstanding batches", seed, step, len(q.processing), len(inBatches))
			}
			for op := range q.processing {
				if !inBatches[op] {
					t.Fatalf("seed %d step %d: %s processing outside every outstanding batch", seed, step, op)
				}
			}
			for op := range owed {
				if !q.isDirty(op) {
					t.Fatalf("seed %d step %d: dirty operator %s lost", seed, step, op)
				}
			}
		}
	}
}

// takeRandom removes and returns a random element of *list; false when it is empty.
func takeRandom[T any](rng *rand.Rand, list *[]T) (T, bool) {
	var zero T
	if len(*list) == 0 {
		return zero, false
	}
	i := rng.IntN(len(*list))
	x := (*list)[i]
	*list = slices.Delete(*list, i, i+1)
	return x, true
}

// A failed list comes back in parts small enough that the operator at fault is alone by its last
// attempt: with one failure left, parts of one.
func TestOperatorQueueSplit(t *testing.T) {
	ops := []common.Address{addr(1), addr(2), addr(3), addr(4), addr(5)}
	tests := []struct {
		failures  int // already counted against each
		wantParts int
	}{
		{failures: 1, wantParts: 3}, // two left: parts of at most 2
		{failures: 2, wantParts: 5}, // one left: parts of 1
	}
	for _, tt := range tests {
		q := newOperatorQueue()
		q.setRegistered(ops)
		for _, op := range ops {
			q.add(op, t0)
			q.failures[op] = tt.failures
		}
		q.split(ops, 3)
		parts := map[int]int{}
		for _, op := range ops {
			parts[q.group[op]]++
		}
		if len(parts) != tt.wantParts {
			t.Errorf("after %d failures: parts %v, want %d", tt.failures, parts, tt.wantParts)
		}
		seen := 0
		for {
			got := q.popGroup(t0)
			if len(got) == 0 {
				break
			}
			seen += len(got)
		}
		if seen != len(ops) {
			t.Errorf("after %d failures: popGroup handed out %d of %d operators", tt.failures, seen, len(ops))
		}
		if err := q.check(3); err != nil {
			t.Error(err)
		}
	}
}
