package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
	"github.com/avs-sync/avs-sync/watcher"
)

func TestReadyAndLive(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	lim := HealthLimits{WebSocket: true, BlocksBehind: 5, MaxHeadAge: time.Minute, MaxFailing: 10 * time.Minute, MaxLoopStall: 2 * time.Minute}
	st := Status{Started: true, LastLoop: now.Add(-time.Second)}
	ws := watcher.Status{Mode: "ws", Connected: true, Head: 100, LastBlock: 98, HeadChanged: now.Add(-30 * time.Second)}
	tests := []struct {
		name     string
		st       Status
		ws       watcher.Status
		lim      HealthLimits
		notReady string // "" = ready
		notLive  string // "" = live
	}{
		{"healthy", st, ws, lim, "", ""},
		{"loading", Status{}, ws, lim, "loading", ""},
		{"node unreachable", st, withWS(ws, func(w *watcher.Status) { w.Connected = false }), lim, "unreachable", ""},
		{"polling instead of websocket", st, withWS(ws, func(w *watcher.Status) { w.Mode = "poll" }), lim, "polling", ""},
		{"polling by choice", st, withWS(ws, func(w *watcher.Status) { w.Mode = "poll" }), with(lim, func(l *HealthLimits) { l.WebSocket = false }), "", ""},
		{"behind", st, withWS(ws, func(w *watcher.Status) { w.LastBlock = 94 }), lim, "6 blocks behind", ""},
		{"head stalled", st, withWS(ws, func(w *watcher.Status) { w.HeadChanged = now.Add(-61 * time.Second) }), lim, "head 100 has not advanced for 1m1s (limit 1m0s)", ""},
		{"auto limit: 5 blocks of 12s", st, withWS(ws, func(w *watcher.Status) { w.BlockTime, w.HeadChanged = 12*time.Second, now.Add(-61*time.Second) }),
			with(lim, func(l *HealthLimits) { l.MaxHeadAge = 0 }), "limit 1m0s", ""},
		{"auto limit: at least 30s", st, withWS(ws, func(w *watcher.Status) { w.BlockTime, w.HeadChanged = time.Second, now.Add(-29*time.Second) }),
			with(lim, func(l *HealthLimits) { l.MaxHeadAge = 0 }), "", ""},
		{"auto limit: block time unknown", st, withWS(ws, func(w *watcher.Status) { w.HeadChanged = now.Add(-59 * time.Second) }),
			with(lim, func(l *HealthLimits) { l.MaxHeadAge = 0 }), "", ""},
		{"failing briefly", with(st, func(s *Status) { s.FailingSince, s.Failures = now.Add(-time.Minute), 2 }), ws, lim, "", ""},
		{"failing too long", with(st, func(s *Status) {
			s.FailingSince, s.Failures, s.LastFailure = now.Add(-11*time.Minute), 7, "sends failing"
		}), ws, lim, "failing for 11m0s (7 attempts, limit 10m0s): sends failing", ""},
		{"failing check off", with(st, func(s *Status) { s.FailingSince = now.Add(-time.Hour) }), ws, with(lim, func(l *HealthLimits) { l.MaxFailing = 0 }), "", ""},
		{"wedged", with(st, func(s *Status) { s.LastLoop = now.Add(-3 * time.Minute) }), ws, lim, "", "has not run for 3m0s"},
		{"waiting for the rate limit", with(st, func(s *Status) { s.LastLoop, s.LimitWaitSince = now.Add(-3*time.Minute), now.Add(-2*time.Minute) }), ws, lim, "", ""},
		{"waited for the rate limit, then wedged", with(st, func(s *Status) { s.LastLoop, s.LimitWaited = now.Add(-5*time.Minute), 2*time.Minute }), ws, lim, "",
			"has not run for 5m0s (limit 2m0s), 2m0s of it waiting for the rate limit"},
		{"wedge check off", with(st, func(s *Status) { s.LastLoop = now.Add(-time.Hour) }), ws, with(lim, func(l *HealthLimits) { l.MaxLoopStall = 0 }), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(what string, err error, want string) {
				t.Helper()
				switch {
				case want == "" && err != nil:
					t.Errorf("%s: %v, want nil", what, err)
				case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
					t.Errorf("%s: %v, want an error with %q", what, err, want)
				}
			}
			check("Ready", Ready(now, tt.st, tt.ws, tt.lim), tt.notReady)
			check("Live", Live(now, tt.st, tt.lim), tt.notLive)
		})
	}
}

// /readyz says what kind of failure the updates meet, never the error's text: node errors quote
// the node's URL, and with it the API key in its path, query or user info.
func TestFailureNeverQuotesTheError(t *testing.T) {
	const key = "SECRETAPIKEY123"
	nodeErr := fmt.Errorf(`Post "http://user:%s@127.0.0.1:8545/v2/%s?key=%s": read: connection reset by peer`, key, key, key)
	tests := []struct {
		name string
		o    outcome
		want string
	}{
		{"reads", outcome{res: planner.Outcome{Err: nodeErr}}, "chain reads failing"},
		{"sends refused", outcome{transient: nodeErr}, "sends failing on the node's side"},
		{"sends timing out", outcome{transient: fmt.Errorf("%w: %w", nodeErr, context.DeadlineExceeded)}, "sends timing out"},
		{"own failures", outcome{res: planner.Outcome{FailedOperators: []common.Address{op}}, transient: nodeErr}, "1 operator updates and 0 quorum refreshes"},
	}
	for _, tt := range tests {
		s := newTestSyncer(t, Config{}, nil, nil, nil, slog.New(slog.DiscardHandler), nil, nil)
		s.setFailures(tt.o)
		got := Ready(time.Now().Add(time.Hour), with(s.Status(), func(st *Status) { st.Started = true }),
			watcher.Status{Mode: "ws", Connected: true}, HealthLimits{MaxFailing: time.Minute})
		if got == nil || !strings.Contains(got.Error(), tt.want) {
			t.Errorf("%s: /readyz says %v, want %q", tt.name, got, tt.want)
		}
		if got != nil && strings.Contains(got.Error(), key) {
			t.Errorf("%s: /readyz quotes the error: %v", tt.name, got)
		}
	}
}

func with[T any](v T, f func(*T)) T {
	f(&v)
	return v
}

func withWS(w watcher.Status, f func(*watcher.Status)) watcher.Status { return with(w, f) }

// The loop keeps what health reads: the run of failed updates (cleared by a success), and a
// heartbeat while idle that stops when the loop is wedged.
func TestStatusForHealth(t *testing.T) {
	c := &wedging{chain: &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 1}, fails: 2}}
	s := newTestSyncer(t, Config{Retries: 3, MaxBackoff: 20 * time.Millisecond, Heartbeat: 5 * time.Millisecond}, c, c, c, slog.New(slog.DiscardHandler), nil, nil)
	src := source{batches: make(chan watcher.Batch)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, src) }()
	waitUntil(t, "startup check", func() bool { st := s.Status(); return st.Started && st.Dirty == 0 && st.Processing == 0 })

	started := s.Status()
	waitUntil(t, "heartbeat while idle", func() bool { return s.Status().LastLoop.After(started.LastLoop) })

	// Two failed updates, then a success: FailingSince is set by the first and cleared by it.
	c.mu.Lock()
	c.weight[op], c.head = 5, 11
	c.mu.Unlock()
	src.batches <- watcher.Batch{From: 11, To: 11, Head: 11, Events: []watcher.Event{{Kind: watcher.SharesChanged, Operator: op, Block: 11}}}
	waitUntil(t, "a failure recorded", func() bool { st := s.Status(); return !st.FailingSince.IsZero() && st.LastFailure != "" })
	waitUntil(t, "the run of failures cleared by a success", func() bool {
		st := s.Status()
		return st.FailingSince.IsZero() && st.Failures == 0 && st.LastFailure == "" && c.calls() == 3
	})

	// A quorum configuration change makes the loop read the quorums again, which hangs: the
	// heartbeat stops.
	c.wedge.Store(true)
	src.batches <- watcher.Batch{From: 12, To: 12, Head: 12, Events: []watcher.Event{{Kind: watcher.QuorumConfigChanged, Quorum: 0, Block: 12}}}
	waitUntil(t, "loop wedged in the reload", func() bool { return c.hung.Load() })
	wedged := s.Status().LastLoop
	lim := HealthLimits{MaxLoopStall: 50 * time.Millisecond}
	waitUntil(t, "Live fails", func() bool { return Live(time.Now(), s.Status(), lim) != nil })
	if got := s.Status().LastLoop; !got.Equal(wedged) {
		t.Fatalf("heartbeat went on (%v after %v) while the loop was wedged", got, wedged)
	}
	cancel()
	<-done
}

// wedging is the fake chain whose quorum read hangs, once wedge is set, until the read's context
// ends.
type wedging struct {
	*chain
	wedge, hung atomic.Bool
}

func (w *wedging) Quorums(ctx context.Context, block uint64) ([]registry.Quorum, error) {
	if w.wedge.Load() {
		w.hung.Store(true)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return w.chain.Quorums(ctx, block)
}
