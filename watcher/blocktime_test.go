package watcher

import (
	"testing"
	"time"
)

func TestBlockTimer(t *testing.T) {
	var b blockTimer
	poll := 2 * time.Second
	if got := b.silence(poll); got != poll {
		t.Fatalf("silence before any head = %v, want one poll interval", got)
	}
	at := time.Unix(0, 0)
	for n := uint64(1); n <= 10; n++ {
		at = at.Add(12 * time.Second)
		if !b.observe(n, at) {
			t.Fatalf("head %d not new", n)
		}
	}
	if b.observe(10, at) || b.observe(3, at) {
		t.Fatal("an old head counted as new")
	}
	// Two missed blocks count as two block times, a stall of a minute does not move the median.
	at = at.Add(36 * time.Second)
	b.observe(13, at)
	at = at.Add(time.Minute)
	b.observe(14, at)
	if got := b.get(); got != 12*time.Second {
		t.Fatalf("block time %v, want 12s", got)
	}
	if got := b.silence(poll); got != 18*time.Second {
		t.Fatalf("silence %v, want 18s (1.5 block times)", got)
	}
	fixed := blockTimer{fixed: 6 * time.Second}
	fixed.observe(1, at)
	fixed.observe(2, at.Add(time.Second))
	if got := fixed.silence(poll); got != 9*time.Second {
		t.Fatalf("silence with a configured block time %v, want 9s", got)
	}
}
