// Package backoff is the daemon's one retry schedule: a capped exponential delay, drawn at random
// from its upper half when the caller asks for jitter, and a sleep that ends with its context.
package backoff

import (
	"context"
	"time"
)

// Policy is a capped exponential delay: the wait before retry n (from 1) is First·2^(n-1), capped
// at Max. With Rand set, each wait is drawn from [d/2, d] of that delay, so that clients that
// failed together do not come back together; Rand returns a number in [0, 1) (math/rand/v2's
// Float64; a test returns a constant).
type Policy struct {
	First, Max time.Duration
	Rand       func() float64
}

// Delay is the wait before retry n (from 1; below 1 counts as 1).
func (p Policy) Delay(n int) time.Duration {
	d := p.First
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	if p.Rand != nil {
		d = d/2 + time.Duration(p.Rand()*float64(d/2))
	}
	return d
}

// Sequence walks a Policy: Next returns the waits before retries 1, 2, ... and Reset starts again
// after a success. The zero value of a Sequence with its Policy set is ready to use.
type Sequence struct {
	Policy
	n int
}

// New is a Sequence of p.
func New(p Policy) *Sequence { return &Sequence{Policy: p} }

// Next is the wait before the next retry.
func (s *Sequence) Next() time.Duration {
	s.n++
	return s.Delay(s.n)
}

// Reset starts the sequence again after a success.
func (s *Sequence) Reset() { s.n = 0 }

// Sleep waits d or until ctx ends, whichever comes first: nil after the wait, ctx's error if it
// ended first. A d of 0 or less returns at once, with ctx's error if it has ended.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
