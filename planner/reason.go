package planner

// Reason says why a batch or plan exists; its text is what logs and errors show. A batch due for
// several reasons carries the most urgent (MoreUrgentThan).
type Reason string

// Reasons a batch or plan exists, least urgent first.
const (
	// ReasonDirty: events moved the stakes of the batch's operators.
	ReasonDirty Reason = "dirty"
	// ReasonConfig: a quorum's configuration changed, so all of its operators may be stale.
	ReasonConfig Reason = "config"
	// ReasonSweep: the periodic (or forced) refresh of every quorum in scope.
	ReasonSweep Reason = "sweep"
	// ReasonDeadline: a quorum must be refreshed before the AVS rejects its stakes as stale.
	ReasonDeadline Reason = "deadline"
)

// MoreUrgentThan reports whether r outranks o, in the order of the Reason* constants. The empty
// Reason (a batch with nothing in it yet), like any text outside the constants, ranks below them
// all.
func (r Reason) MoreUrgentThan(o Reason) bool { return r.rank() > o.rank() }

func (r Reason) rank() int {
	switch r {
	case ReasonDirty:
		return 1
	case ReasonConfig:
		return 2
	case ReasonSweep:
		return 3
	case ReasonDeadline:
		return 4
	}
	return 0
}

// mostUrgent returns the more urgent of a and b; a when they rank the same.
func mostUrgent(a, b Reason) Reason {
	if b.MoreUrgentThan(a) {
		return b
	}
	return a
}
