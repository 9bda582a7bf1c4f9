package planner

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// check returns the first broken invariant of the sweep clock: it owes a slot exactly while it
// owes quorums or operators, and an owed slot is before the next.
func (c *sweepClock) check() error {
	if c.owed.IsZero() != (c.owedQuorums.empty() && len(c.owedOps) == 0) || !c.owed.IsZero() && !c.owed.Before(c.next) {
		return fmt.Errorf("owed sweep at %v before next %v, owing quorums %v and %d operators", c.owed, c.next, c.owedQuorums.list(), len(c.owedOps))
	}
	return nil
}

func TestSweepClock(t *testing.T) {
	const interval = time.Hour
	c := newSweepClock(interval, TimeOfDay{}, t0)
	if c.due(t0.Add(interval-time.Nanosecond)) || !c.due(t0.Add(interval)) {
		t.Fatal("first sweep not due exactly one interval after the start")
	}
	if at, ok := c.wake(t0); !ok || !at.Equal(t0.Add(interval)) {
		t.Fatalf("wake %v %v, want %v", at, ok, t0.Add(interval))
	}
	c.inFlight = true
	if c.due(t0.Add(5 * interval)) {
		t.Fatal("a sweep due while one is in flight")
	}
	if _, ok := c.wake(t0); ok {
		t.Fatal("wake while a sweep is in flight")
	}
	c.inFlight = false
	// Finishing late skips the slot it overran.
	c.succeeded(t0.Add(2*interval + time.Minute))
	if !c.next.Equal(t0.Add(3 * interval)) {
		t.Fatalf("next %v, want %v", c.next, t0.Add(3*interval))
	}
	c.forced = true
	if at, ok := c.wake(t0.Add(interval)); !ok || !at.Equal(t0.Add(interval)) || !c.due(t0.Add(interval)) {
		t.Fatal("a forced sweep is not due at once")
	}
	c.succeeded(t0.Add(2*interval + 2*time.Minute))
	if c.forced || !c.next.Equal(t0.Add(3*interval)) {
		t.Fatalf("after a forced sweep: forced %v next %v; want the schedule unmoved", c.forced, c.next)
	}

	off := newSweepClock(0, TimeOfDay{}, t0)
	if off.due(t0.Add(1000 * interval)) {
		t.Fatal("a sweep due without an interval")
	}
	if _, ok := off.wake(t0); ok {
		t.Fatal("wake without an interval")
	}
}

// SweepSchedule's slots: the first at a time of day or after the delay, Advance skipping the
// slots a sweep overran and never moving back, and DueAt held at the earliest slot owed until paid.
func TestSweepScheduleSlots(t *testing.T) {
	const interval = time.Hour
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tod, err := ParseTimeOfDay("12:30:00") // 2h30 after t0
	if err != nil {
		t.Fatal(err)
	}
	// step is one call on the schedule; want is Next and DueAt after it (offsets from t0).
	type step struct {
		do                func(*SweepSchedule)
		wantNext, wantDue time.Duration
	}
	advance := func(d time.Duration) func(*SweepSchedule) { return func(s *SweepSchedule) { s.Advance(at(d)) } }
	owe := func(d time.Duration) func(*SweepSchedule) { return func(s *SweepSchedule) { s.Owe(at(d)) } }
	paid := func(s *SweepSchedule) { s.Paid() }
	for _, tc := range []struct {
		name  string
		first TimeOfDay
		delay time.Duration
		// wantFirst is Next before any step.
		wantFirst time.Duration
		steps     []step
	}{
		{name: "at once", wantFirst: 0, steps: []step{
			{advance(0), interval, interval},
			{advance(interval + time.Minute), 2 * interval, 2 * interval},
		}},
		{name: "an interval after the start", delay: interval, wantFirst: interval, steps: []step{
			{advance(interval - time.Minute), interval, interval},           // before the first slot: unmoved
			{advance(3*interval + time.Minute), 4 * interval, 4 * interval}, // overran three slots
			{advance(2 * interval), 4 * interval, 4 * interval},             // never back
		}},
		{name: "at a time of day", first: tod, delay: interval, wantFirst: 150 * time.Minute, steps: []step{
			{advance(150 * time.Minute), 150*time.Minute + interval, 150*time.Minute + interval},
		}},
		{name: "owed until paid", wantFirst: 0, steps: []step{
			{owe(0), 0, 0},
			{advance(time.Second), interval, 0},
			{owe(interval), interval, 0}, // the earliest slot owed stays
			{advance(interval + time.Second), 2 * interval, 0},
			{paid, 2 * interval, 2 * interval},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSweepSchedule(interval, tc.first, t0, tc.delay)
			if got := s.Next(); !got.Equal(at(tc.wantFirst)) || !s.DueAt().Equal(got) {
				t.Fatalf("first slot %v, due %v; want %v", got.Sub(t0), s.DueAt().Sub(t0), tc.wantFirst)
			}
			for i, st := range tc.steps {
				st.do(&s)
				if !s.Next().Equal(at(st.wantNext)) || !s.DueAt().Equal(at(st.wantDue)) {
					t.Fatalf("step %d: next %v, due %v; want %v, %v", i, s.Next().Sub(t0), s.DueAt().Sub(t0), st.wantNext, st.wantDue)
				}
			}
		})
	}
	off := NewSweepSchedule(0, tod, t0, 0)
	off.Advance(at(100 * interval))
	if !off.Next().IsZero() || !off.DueAt().IsZero() {
		t.Fatalf("without an interval: next %v, due %v; want none", off.Next(), off.DueAt())
	}
}

func TestAllocationScheduleType(t *testing.T) {
	s := newAllocationSchedule()
	a, b := common.HexToAddress("0xa"), common.HexToAddress("0xb")
	s.add(20, a)
	s.add(10, b)
	s.add(20, a) // a repeat, one per strategy
	s.add(30, a)
	if s.len() != 3 {
		t.Fatalf("len %d, want 3", s.len())
	}
	if got := s.release(9); len(got) != 0 {
		t.Fatalf("released %v before any block", got)
	}
	if got := s.release(20); !slices.Equal(got, []common.Address{b, a}) {
		t.Fatalf("released %v at 20, want [b a] in block order", got)
	}
	if got := s.release(100); !slices.Equal(got, []common.Address{a}) || s.len() != 0 || len(s.keys) != 0 {
		t.Fatalf("released %v at 100 leaving %d, want [a] and nothing", got, s.len())
	}
}

// NextSweep stays at a scheduled sweep's slot until that sweep has landed whole (held back by the
// budget, failed before sending, parts failing or waiting for fees), and moves on once it has.
func TestNextSweep(t *testing.T) {
	const interval = time.Hour
	p, clk := newTestPlanner(t, Config{SyncInterval: interval, MaxFailures: 2}, 1)
	wantNext := func(want time.Time) {
		t.Helper()
		checkInvariants(t, p)
		if at, ok := p.NextSweep(); !ok || !at.Equal(want) {
			t.Fatalf("at %v: next sweep %v (%v), want %v", clk.Now().Sub(t0), at.Sub(t0), ok, want.Sub(t0))
		}
	}
	sweepBatch := func() Batch {
		t.Helper()
		b := mustNext(t, p)
		if !b.sweep {
			t.Fatalf("batch %+v is not the sweep", b)
		}
		return b
	}
	wantNext(t0.Add(interval))

	// Held back by the gas budget for two slots.
	clk.Set(t0.Add(interval))
	p.SetBudget(BudgetExhausted)
	noNext(t, p)
	clk.Set(t0.Add(2*interval + 30*time.Minute))
	wantNext(t0.Add(interval))
	p.SetBudget(BudgetAvailable)
	b := sweepBatch()
	wantNext(t0.Add(interval)) // in flight
	clk.Advance(time.Minute)
	p.Done(b, Outcome{})
	wantNext(t0.Add(3 * interval))

	// Failed before anything was sent, then held by fees above the cap: the schedule moves on, the
	// quorum waiting is retried on its own, fails until set aside, and the slot stays owed until
	// the next sweep lands.
	clk.Set(t0.Add(3 * interval))
	p.Done(sweepBatch(), Outcome{Err: errors.New("read stakes: connection refused")})
	wantNext(t0.Add(3 * interval))
	clk.Advance(time.Minute)
	p.Done(sweepBatch(), Outcome{WaitingQuorums: []uint8{0}})
	wantWakeNow(t, p, clk)
	wantNext(t0.Add(3 * interval))
	for i := 0; ; i++ {
		at, ok := p.NextWake()
		if !ok || !at.Before(t0.Add(4*interval)) {
			break
		}
		if i == 20 {
			t.Fatal("quorum 0 still retried after 20 failures")
		}
		clk.Set(at)
		b := mustNext(t, p)
		if b.sweep {
			t.Fatalf("retry %+v handed out as a sweep", b)
		}
		p.Done(b, Outcome{FailedQuorums: append(b.Refreshes(), membersOnly(b)...)})
		wantNext(t0.Add(3 * interval))
	}
	if !slices.Equal(p.SetAsideQuorums(), []uint8{0}) {
		t.Fatalf("set aside %v, want quorum 0", p.SetAsideQuorums())
	}
	clk.Set(t0.Add(4*interval - time.Nanosecond))
	wantNext(t0.Add(3 * interval))
	clk.Set(t0.Add(4 * interval))
	b = sweepBatch()
	wantQuorums(t, b, 0, 1)
	wantNext(t0.Add(3 * interval))
	p.Done(b, Outcome{})
	wantNext(t0.Add(5 * interval))

	// A refresh that fails once and lands on its retry pays the slot back then.
	clk.Set(t0.Add(5 * interval))
	p.Done(sweepBatch(), Outcome{FailedQuorums: []uint8{1}})
	wantNext(t0.Add(5 * interval))
	for i := 0; ; i++ {
		at, ok := p.NextWake()
		if !ok || !at.Before(t0.Add(6*interval)) {
			t.Fatal("quorum 1's refresh not retried")
		}
		clk.Set(at)
		b := mustNext(t, p)
		p.Done(b, Outcome{})
		if slices.Contains(b.Refreshes(), 1) {
			break
		}
		wantNext(t0.Add(5 * interval)) // its members only: the refresh itself is still owed
		if i == 5 {
			t.Fatal("quorum 1's refresh not handed out")
		}
	}
	wantNext(t0.Add(6 * interval))

	// Audit mode: an operator whose update failed pays back when its retry lands.
	p, clk = newTestPlanner(t, Config{SyncInterval: interval, SweepMode: SweepAudit}, 2)
	clk.Set(t0.Add(interval))
	p.Done(sweepBatch(), Outcome{FailedOperators: addrs(2)})
	wantNext(t0.Add(interval))
	at, _ := p.NextWake()
	clk.Set(at)
	b = mustNext(t, p)
	if !slices.Equal(b.Operators, addrs(2)) {
		t.Fatalf("retry %+v, want operator 2", b)
	}
	p.Done(b, Outcome{})
	wantNext(t0.Add(2 * interval))

	// A forced sweep off the schedule owes nothing.
	p, clk = newTestPlanner(t, Config{SyncInterval: interval}, 1)
	clk.Advance(10 * time.Minute)
	p.SweepNow()
	p.Done(sweepBatch(), Outcome{FailedQuorums: []uint8{0}})
	wantNext(t0.Add(interval))

	// The first sweep at --first-sync-time, far beyond two intervals: due then, not before.
	first, err := ParseTimeOfDay("09:00:00")
	if err != nil {
		t.Fatal(err)
	}
	p, _ = newTestPlanner(t, Config{SyncInterval: interval, FirstSyncTime: first}, 1)
	wantNext(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))

	// Sweeps off.
	p, _ = newTestPlanner(t, Config{}, 1)
	if at, ok := p.NextSweep(); ok {
		t.Fatalf("next sweep %v with sweeps off", at)
	}
}
