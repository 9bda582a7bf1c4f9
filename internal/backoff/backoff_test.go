package backoff

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name   string
		policy Policy
		n      int
		want   time.Duration
	}{
		{"first", Policy{First: time.Second, Max: time.Minute}, 1, time.Second},
		{"below 1 is the first", Policy{First: time.Second, Max: time.Minute}, 0, time.Second},
		{"doubles", Policy{First: time.Second, Max: time.Minute}, 2, 2 * time.Second},
		{"doubles again", Policy{First: time.Second, Max: time.Minute}, 4, 8 * time.Second},
		{"capped", Policy{First: time.Second, Max: time.Minute}, 7, time.Minute},
		{"capped far out", Policy{First: time.Second, Max: time.Minute}, 1000, time.Minute},
		{"a cap below the first caps the first", Policy{First: time.Second, Max: 20 * ms}, 1, 20 * ms},
		{"jitter at its top is the whole delay", Policy{First: 100 * ms, Max: time.Second, Rand: func() float64 { return 1 }}, 3, 400 * ms},
		{"jitter at its bottom is half", Policy{First: 100 * ms, Max: time.Second, Rand: func() float64 { return 0 }}, 3, 200 * ms},
		{"jitter in the middle", Policy{First: 100 * ms, Max: time.Second, Rand: func() float64 { return 0.5 }}, 1, 75 * ms},
		{"jitter of the cap", Policy{First: 100 * ms, Max: time.Second, Rand: func() float64 { return 0 }}, 10, 500 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Delay(tt.n); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestSequence(t *testing.T) {
	s := New(Policy{First: 100 * time.Millisecond, Max: time.Second})
	var got []time.Duration
	for range 6 {
		got = append(got, s.Next())
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
	s.Reset()
	if d := s.Next(); d != 100*time.Millisecond {
		t.Fatalf("after Reset: %v, want 100ms", d)
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("a wait that ran out: %v, want nil", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Fatalf("no wait: %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("an ended context: %v, want context.Canceled", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("no wait on an ended context: %v, want context.Canceled", err)
	}
}
