package watcher

import "time"

// backoff is a capped exponential delay between attempts: min, 2·min, 4·min, ... up to max,
// back to min after Reset. No jitter: one watcher talks to its own node.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, next: min}
}

// Next returns the delay before the next attempt and doubles the one after.
func (b *backoff) Next() time.Duration {
	d := b.next
	if b.next < b.max {
		b.next = min(2*b.next, b.max)
	}
	return d
}

// Reset starts the sequence again after a success.
func (b *backoff) Reset() { b.next = b.min }
