package planner

import "testing"

func TestReasonUrgency(t *testing.T) {
	// Least urgent first, the empty Reason (nothing due yet) below them all.
	order := []Reason{"", ReasonDirty, ReasonConfig, ReasonSweep, ReasonDeadline}
	for i, a := range order {
		for j, b := range order {
			if got, want := b.MoreUrgentThan(a), j > i; got != want {
				t.Errorf("%q.MoreUrgentThan(%q) = %v, want %v", b, a, got, want)
			}
			want := a
			if j > i {
				want = b
			}
			if got := mostUrgent(a, b); got != want {
				t.Errorf("mostUrgent(%q, %q) = %q, want %q", a, b, got, want)
			}
		}
	}
}

func TestReasonText(t *testing.T) {
	// The text is what logs, errors and the plan command show: it must not change.
	for r, want := range map[Reason]string{ReasonDirty: "dirty", ReasonConfig: "config", ReasonSweep: "sweep", ReasonDeadline: "deadline"} {
		if string(r) != want {
			t.Errorf("reason %q, want %q", r, want)
		}
	}
}
