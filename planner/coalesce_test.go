package planner

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// With a latency budget, the first change on a quiet AVS goes after the debounce; changes that
// follow within the budget wait together and go out as one batch at most the budget after the
// first of them; after a quiet budget the next change is quick again.
func TestMaxStaleness(t *testing.T) {
	const debounce, budget = 3 * time.Second, time.Hour
	p, clk := newTestPlanner(t, Config{Debounce: debounce, MaxStaleness: budget}, 5)
	at := func(d time.Duration) { clk.Set(t0.Add(d)) }
	done := func(b Batch) { p.Done(b, Outcome{}); checkInvariants(t, p) }

	p.Observe(shares(addr(1))) // quiet: after the debounce
	wantWake(t, p, t0.Add(debounce))
	at(debounce)
	b := mustNext(t, p)
	wantOperators(t, b, addr(1))
	done(b)

	at(10 * time.Second) // within the budget of the last change: busy, a group starts
	p.Observe(shares(addr(2)))
	wantWake(t, p, t0.Add(10*time.Second+budget))
	at(20 * time.Minute)
	p.Observe(shares(addr(3)))
	at(50 * time.Minute)
	p.Observe(shares(addr(4)))
	at(10*time.Second + budget - time.Nanosecond)
	noNext(t, p)
	at(10*time.Second + budget)
	b = mustNext(t, p)
	wantOperators(t, b, addr(2), addr(3), addr(4))
	done(b)

	// A change within the budget of the last one starts the next group.
	at(90 * time.Minute)
	p.Observe(shares(addr(5)))
	wantWake(t, p, t0.Add(90*time.Minute+budget))
	at(90*time.Minute + budget)
	b = mustNext(t, p)
	wantOperators(t, b, addr(5))
	done(b)

	// Quiet for the budget: quick again.
	at(4 * budget)
	p.Observe(shares(addr(1)))
	wantWake(t, p, t0.Add(4*budget+debounce))
}

// Without a budget every change goes after the debounce, however busy.
func TestMaxStalenessOff(t *testing.T) {
	const debounce = 3 * time.Second
	p, clk := newTestPlanner(t, Config{Debounce: debounce}, 3)
	for i, op := range []common.Address{addr(1), addr(2), addr(3)} {
		clk.Set(t0.Add(time.Duration(i) * time.Second))
		p.Observe(shares(op))
	}
	wantWake(t, p, t0.Add(debounce))
}

func TestMaxStalenessValidate(t *testing.T) {
	for _, c := range []Config{{MaxStaleness: -time.Second}, {Debounce: time.Minute, MaxStaleness: time.Second}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := (Config{Debounce: time.Second, MaxStaleness: time.Hour}).Validate(); err != nil {
		t.Error(err)
	}
}
