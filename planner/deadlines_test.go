package planner

import (
	"fmt"
	"math"
	"testing"
)

// check returns the first broken invariant of those written on deadlineSchedule.
func (s *deadlineSchedule) check() error {
	if s.forbidden && s.delay == 0 {
		return fmt.Errorf("deadlines kept with no withdrawal delay")
	}
	if s.forbidden && s.margin() >= s.delay {
		return fmt.Errorf("margin %d not below the delay %d", s.margin(), s.delay)
	}
	for q, removed := range s.reincluding {
		if s.deadline(q) < removed+s.reincludeWait() {
			return fmt.Errorf("quorum %d due at %d, before its removed refresh at %d may come back", q, s.deadline(q), removed)
		}
	}
	return nil
}

func TestDeadlineScheduleDeadline(t *testing.T) {
	tests := []struct {
		name           string
		delay, margin  uint64
		update         uint64
		removed        uint64 // 0: none
		want, wantHard uint64
	}{
		{name: "refresh plus delay less margin", delay: 100, margin: 10, update: 50, want: 140, wantHard: 150},
		{name: "margin eating the delay is a tenth", delay: 100, margin: 100, update: 0, want: 90, wantHard: 100},
		{name: "never refreshed", delay: 100, margin: 10, want: 90, wantHard: 100},
		{name: "overflow never due", delay: 100, margin: 10, update: math.MaxUint64 - 5, want: math.MaxUint64, wantHard: math.MaxUint64},
		{name: "removed refresh waits half the margin", delay: 100, margin: 10, update: 50, removed: 200, want: 205, wantHard: 150},
		{name: "removed refresh waits a block at least", delay: 100, margin: 1, update: 50, removed: 200, want: 201, wantHard: 150},
		{name: "removed refresh long ago", delay: 100, margin: 10, update: 50, removed: 20, want: 140, wantHard: 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDeadlineSchedule(Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: tt.delay, DeadlineMargin: tt.margin})
			s.read(0, tt.update)
			if tt.removed > 0 {
				s.removed(0, tt.removed)
			}
			if got := s.deadline(0); got != tt.want {
				t.Fatalf("deadline %d, want %d", got, tt.want)
			}
			if got, ok := s.staleStakesDeadline(0); !ok || got != tt.wantHard {
				t.Fatalf("stale-stakes deadline %d, %v; want %d", got, ok, tt.wantHard)
			}
			if tt.want < math.MaxUint64 {
				if due := s.due(quorumsOf([]uint8{0}), tt.want-1); !due.empty() {
					t.Fatalf("due at %d, a block before its deadline %d", tt.want-1, tt.want)
				}
				if due := s.due(quorumsOf([]uint8{0}), tt.want); !due.has(0) {
					t.Fatalf("not due at its deadline %d", tt.want)
				}
			}
			if err := s.check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A removed refresh is back when its event is seen again or a read reaches its block; a landed
// refresh moves the deadline only later.
func TestDeadlineScheduleRefreshes(t *testing.T) {
	s := newDeadlineSchedule(Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 100, DeadlineMargin: 10})
	s.seen(0, 50)
	s.removed(0, 50)
	s.read(0, 40) // the refresh before
	if _, ok := s.reincluding[0]; !ok {
		t.Fatal("a read before the removed refresh's block took it as back")
	}
	s.read(0, 50)
	if _, ok := s.reincluding[0]; ok {
		t.Fatal("a read at the removed refresh's block did not take it as back")
	}
	s.removed(0, 50)
	s.seen(0, 60)
	if _, ok := s.reincluding[0]; ok || s.updateBlock[0] != 60 {
		t.Fatalf("after its event: reincluding %v, update block %d; want none, 60", s.reincluding, s.updateBlock[0])
	}
	s.landed(0, 55)
	if s.updateBlock[0] != 60 {
		t.Fatalf("a landed refresh sent at 55 moved the update block back to %d", s.updateBlock[0])
	}
	s.landed(0, 70)
	if s.updateBlock[0] != 70 {
		t.Fatalf("a landed refresh sent at 70 left the update block at %d", s.updateBlock[0])
	}
}

func TestDeadlineScheduleRule(t *testing.T) {
	s := newDeadlineSchedule(Config{DeadlineMargin: 10})
	if !s.due(quorumsOf([]uint8{0, 1}), math.MaxUint64).empty() {
		t.Fatal("deadlines due while stale stakes are accepted")
	}
	steps := []struct {
		forbidden   bool
		delay       uint64
		wantChanged bool
		wantKept    bool
	}{
		{forbidden: true, delay: 0, wantChanged: false, wantKept: false}, // delay unknown
		{forbidden: true, delay: 100, wantChanged: true, wantKept: true},
		{forbidden: true, delay: 100, wantChanged: false, wantKept: true},
		{forbidden: true, delay: 200, wantChanged: true, wantKept: true},
		{forbidden: false, delay: 200, wantChanged: true, wantKept: false},
	}
	for i, st := range steps {
		if got := s.setRule(st.forbidden, st.delay); got != st.wantChanged || s.forbidden != st.wantKept {
			t.Fatalf("step %d: changed %v, kept %v; want %v, %v", i, got, s.forbidden, st.wantChanged, st.wantKept)
		}
		if err := s.check(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
}
