package syncer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/registry"
	"github.com/avs-sync/avs-sync/watcher"
)

// quorumsFailing is chain whose quorum reads fail while failing is set.
type quorumsFailing struct {
	*chain
	mu      sync.Mutex
	failing bool
	calls   int
}

func (q *quorumsFailing) Quorums(ctx context.Context, block uint64) ([]registry.Quorum, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	if q.failing {
		return nil, errors.New("502 Bad Gateway")
	}
	return q.chain.Quorums(ctx, block)
}

func (q *quorumsFailing) set(failing bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failing = failing
}

func (q *quorumsFailing) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.calls
}

// syncLog is a log buffer safe for the loop and the test at once.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// A load that fails at start does not end Watch: it is tried again with backoff, /readyz saying
// why, and the loop starts once the node answers.
func TestLoadFailureAtStartRetried(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 1}}
	r := &quorumsFailing{chain: c, failing: true}
	var log syncLog
	s := newTestSyncer(t, Config{MaxBackoff: 20 * time.Millisecond, Heartbeat: 5 * time.Millisecond}, r, c, c, slog.New(slog.NewTextHandler(&log, nil)), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, source{batches: make(chan watcher.Batch)}) }()
	waitUntil(t, "three failed loads", func() bool { return r.count() >= 3 })
	select {
	case err := <-done:
		t.Fatalf("Watch returned %v while the node failed: the process would exit", err)
	default:
	}
	err := Ready(time.Now(), s.Status(), watcher.Status{Connected: true}, HealthLimits{})
	if err == nil || !strings.Contains(err.Error(), "fails") || strings.Contains(err.Error(), "502") {
		t.Fatalf("/readyz while loads fail: %v, want why, in words of our own", err)
	}
	r.set(false)
	waitUntil(t, "started", func() bool { return s.Status().Started })
	if st := s.Status(); st.LoadFailure != "" {
		t.Fatalf("load failure %q kept after the load succeeded", st.LoadFailure)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := log.count("level=WARN"); n != 1 {
		t.Errorf("%d warnings for one run of failed loads, want 1:\n%s", n, log.buf.String())
	}
	if log.count("succeeding again") != 1 {
		t.Errorf("no line when the loads succeeded again:\n%s", log.buf.String())
	}
}

// A reload of quorums and operators (a quorum's configuration changed) that fails is tried again
// with backoff, not at every turn of the loop, and logged once for the run of failures, once when
// it clears.
func TestReloadFailureBacksOff(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 1}}
	r := &quorumsFailing{chain: c}
	var log syncLog
	s := newTestSyncer(t, Config{MaxBackoff: 100 * time.Millisecond, Heartbeat: 2 * time.Millisecond}, r, c, c, slog.New(slog.NewTextHandler(&log, nil)), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	batches := make(chan watcher.Batch)
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, source{batches: batches}) }()
	waitUntil(t, "started", func() bool { return s.Status().Started })
	r.set(true)
	loaded := r.count()
	batches <- watcher.Batch{From: 11, To: 11, Head: 11, Events: []watcher.Event{{Kind: watcher.QuorumConfigChanged, Quorum: 0, Block: 11}}}
	waitUntil(t, "a failed reload", func() bool { return r.count() > loaded })
	// Count the loop's turns: at 2 ms a turn, 200 of them take about 400 ms, in which a backoff
	// of 1 s capped at 100 ms allows a few tries.
	turns, last := 0, s.Status().LastLoop
	waitUntil(t, "200 turns of the loop", func() bool {
		if l := s.Status().LastLoop; !l.Equal(last) {
			turns, last = turns+1, l
		}
		return turns >= 200
	})
	tries := r.count() - loaded
	if tries > turns/10 {
		t.Errorf("%d reloads in %d turns of the loop: no backoff", tries, turns)
	}
	if n := log.count("level=WARN"); n != 1 {
		t.Errorf("%d warnings for one run of failed reloads (%d tries), want 1:\n%s", n, tries, log.buf.String())
	}
	r.set(false)
	waitUntil(t, "the reload succeeding again", func() bool { return log.count("succeeding again") == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d reload tries in %d turns of the loop", tries, turns)
}
