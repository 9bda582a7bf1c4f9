package planner

import (
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/watcher"
)

// checkFirstEventInvariants: only registered operators have a first event.
func checkFirstEventInvariants(t *testing.T, p *Planner) {
	t.Helper()
	for op := range p.ops.firstEvents {
		if !p.ops.isRegistered(op) {
			t.Fatalf("operator %s has a first event but is not registered", op)
		}
	}
}

// An operator's first unreflected event is noted when an event dirties it, kept until the
// planner learns it is reflected, and never moved by a later event meanwhile.
func TestFirstEvents(t *testing.T) {
	a, b := addr(1), addr(2)
	at := func(d time.Duration) FirstEvent { return FirstEvent{At: t0.Add(d), Block: testHead} }
	type check map[common.Address]FirstEvent
	for _, tc := range []struct {
		name string
		// run drives p from t0 and returns the first events it wants then.
		run func(t *testing.T, p *Planner, clk *fakeClock) check
	}{
		{"an event notes the first; later ones coalesce into it", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			clk.Advance(time.Second)
			p.Observe(shares(a))
			return check{a: at(0)}
		}},
		{"a recheck, an allocation coming due or a removed event note none", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Recheck(a)
			p.Observe(shares(a)) // already dirty: no first event of its own
			removed := shares(b)
			removed.Removed = true
			p.Observe(removed)
			p.ScheduleAllocation(b, 0, testHead)
			return check{}
		}},
		{"kept while in a batch, and an event then does not move it", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			mustNext(t, p)
			clk.Advance(time.Second)
			p.Observe(shares(a))
			return check{a: at(0)}
		}},
		{"an event seen while the batch was out takes the first's place when the batch reflects it", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			b := mustNext(t, p)
			clk.Advance(time.Second)
			p.Observe(shares(a))
			clk.Advance(time.Second)
			p.Observe(shares(a)) // coalesces into the later one
			p.Done(b, Outcome{})
			return check{a: at(time.Second)}
		}},
		{"then dropped when the next batch reflects it", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			b := mustNext(t, p)
			clk.Advance(time.Second)
			p.Observe(shares(a))
			p.Done(b, Outcome{})
			clk.Advance(time.Hour)
			p.Done(mustNext(t, p), Outcome{})
			return check{}
		}},
		{"a batch that does not store the first keeps it, covering the later", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			b := mustNext(t, p)
			clk.Advance(time.Second)
			p.Observe(shares(a))
			p.Done(b, Outcome{WaitingOperators: []common.Address{a}})
			if got := p.FirstEvents()[a]; got != at(0) {
				t.Fatalf("first event %v after a waiting batch, want the first", got)
			}
			clk.Advance(time.Hour)
			p.Done(mustNext(t, p), Outcome{})
			return check{}
		}},
		{"dropped when the batch comes back landed or needing nothing", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			p.Observe(shares(b))
			p.Done(mustNext(t, p), Outcome{Immaterial: []common.Address{b}})
			return check{}
		}},
		{"kept when failed, waiting, deferred or not read", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			p.Observe(shares(b))
			p.Done(mustNext(t, p), Outcome{Err: errors.New("read failed")})
			clk.Advance(time.Second)
			p.Done(mustNext(t, p), Outcome{FailedOperators: []common.Address{a}, WaitingOperators: []common.Address{b}})
			clk.Advance(time.Hour)
			p.Done(mustNext(t, p), Outcome{Deferred: []common.Address{a, b}})
			return check{a: at(0), b: at(0)}
		}},
		{"kept while set aside", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			p.Done(mustNext(t, p), Outcome{FailedOperators: []common.Address{a}})
			if p.HeldBack()[a] != HeldSetAside {
				t.Fatalf("held back %v, want a set aside", p.HeldBack())
			}
			return check{a: at(0)}
		}},
		{"dropped when a mined transaction stored it, in or out of the batch", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			ab := mustNext(t, p)
			clk.Advance(time.Second)
			p.Observe(shares(b)) // debouncing, a member of the quorum refreshed below
			p.Done(ab, Outcome{WaitingOperators: []common.Address{a}, Stored: []common.Address{a, b}})
			return check{}
		}},
		{"dropped when the operator leaves", func(t *testing.T, p *Planner, clk *fakeClock) check {
			p.Observe(shares(a))
			p.Observe(shares(b))
			p.Observe(watcher.Event{Kind: watcher.OperatorDeregistered, Operator: a, Block: testHead})
			p.SetOperators(nil) // b gone from the set read again
			return check{}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, clk := newTestPlanner(t, Config{MaxFailures: 1}, 2)
			want := tc.run(t, p, clk)
			checkInvariants(t, p)
			if got := p.FirstEvents(); !maps.Equal(got, want) {
				t.Fatalf("first events %v, want %v", got, want)
			}
		})
	}
}

// FirstEvents is a copy: changing it changes nothing in the planner.
func TestFirstEventsCopy(t *testing.T) {
	p, _ := newTestPlanner(t, Config{}, 1)
	p.Observe(shares(addr(1)))
	clear(p.FirstEvents())
	if got := slices.Collect(maps.Keys(p.FirstEvents())); !slices.Equal(got, []common.Address{addr(1)}) {
		t.Fatalf("first events of %v after clearing a copy", got)
	}
}
