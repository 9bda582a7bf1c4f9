package watcher

import (
	"slices"
	"time"
)

// blockSamples is how many intervals between heads the block time is the median of: enough to
// ignore a missed block or a stall, few enough to follow a change of the chain's pace.
const blockSamples = 15

// blockTimer knows the chain's block time, configured or measured from the arrival of heads, and
// from it how long a websocket subscription may stay silent before the head is read over HTTP.
// Owned by Run's goroutine.
type blockTimer struct {
	// fixed is the configured block time; 0 measures it.
	fixed time.Duration
	// last and lastAt are the newest head seen and when it arrived.
	last   uint64
	lastAt time.Time
	// samples are the latest per-block intervals, oldest first.
	samples []time.Duration
}

// observe records head n arriving at now, and reports whether it is newer than every head before.
func (b *blockTimer) observe(n uint64, now time.Time) bool {
	if n <= b.last {
		return false
	}
	if !b.lastAt.IsZero() {
		per := now.Sub(b.lastAt) / time.Duration(n-b.last)
		if len(b.samples) == blockSamples {
			b.samples = b.samples[1:]
		}
		b.samples = append(b.samples, per)
	}
	b.last, b.lastAt = n, now
	return true
}

// get returns the block time: the configured one, else the median measured interval (0 before
// any).
func (b *blockTimer) get() time.Duration {
	if b.fixed > 0 || len(b.samples) == 0 {
		return b.fixed
	}
	s := slices.Clone(b.samples)
	slices.Sort(s)
	return s[len(s)/2]
}

// silence is how long the subscription may deliver no head before the head is read over HTTP:
// a block time and a half, so that a block arriving late is not read twice; poll (one tick)
// while the block time is unknown.
func (b *blockTimer) silence(poll time.Duration) time.Duration {
	bt := b.get()
	if bt <= 0 {
		return poll
	}
	return bt + bt/2
}

// measured reports that the block time is configured, or measured from two intervals.
func (b *blockTimer) measured() bool { return b.fixed > 0 || len(b.samples) >= 2 }
