package planner

import (
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

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
