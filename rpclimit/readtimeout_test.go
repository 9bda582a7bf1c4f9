package rpclimit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// A read under a limit of one call a second whose second request must wait about a second for its
// turn: with a plain 300 ms timeout the wait spends it, with WithReadTimeout it does not, and the
// loop is told of the wait.
func TestReadTimeoutLeavesOutTheLimitsWait(t *testing.T) {
	tr := Rate(&fakeNode{}, 1)
	send := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://node", strings.NewReader(batchOf(1)))
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}

	plain, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := send(plain); err != nil {
		t.Fatal(err)
	}
	if err := send(plain); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second request under a plain timeout: %v, want the deadline exceeded while waiting", err)
	}

	time.Sleep(1100 * time.Millisecond) // the window empties
	var mu sync.Mutex
	var told []bool
	read, cancel := WithReadTimeout(context.Background(), 300*time.Millisecond, func(w bool) {
		mu.Lock()
		told = append(told, w)
		mu.Unlock()
	})
	defer cancel()
	began := time.Now()
	for i := range 2 {
		if err := send(read); err != nil {
			t.Fatalf("request %d under the read timeout: %v", i, err)
		}
	}
	if took := time.Since(began); took < 500*time.Millisecond {
		t.Fatalf("two calls at one a second took %v: the limit did not make the second wait", took)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 2 || !told[0] || told[1] {
		t.Fatalf("waiting told %v, want [true false]", told)
	}
}

// Without waits the read times out after its time, with context.DeadlineExceeded; a wait stops
// the clock, which runs again after it; a parent's cancellation ends it at once.
func TestReadTimeoutClock(t *testing.T) {
	ctx, cancel := WithReadTimeout(context.Background(), 100*time.Millisecond, nil)
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not done 5 s after a 100 ms timeout")
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err %v, want context.DeadlineExceeded", ctx.Err())
	}
	// A child sees the same error.
	child, cc := context.WithCancel(ctx)
	defer cc()
	<-child.Done()
	if !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Fatalf("child's Err %v, want context.DeadlineExceeded", child.Err())
	}

	ctx, cancel = WithReadTimeout(context.Background(), 100*time.Millisecond, nil)
	defer cancel()
	rc := readContextOf(ctx)
	rc.pause()
	time.Sleep(300 * time.Millisecond)
	if err := ctx.Err(); err != nil {
		t.Fatalf("done while paused: %v", err)
	}
	rc.resume()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not done after its time ran on")
	}

	parent, pcancel := context.WithCancel(context.Background())
	var told []bool
	ctx, cancel = WithReadTimeout(parent, time.Hour, func(w bool) { told = append(told, w) })
	defer cancel()
	rc = readContextOf(ctx)
	rc.pause()
	pcancel()
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("Err after the parent's cancel %v, want context.Canceled", ctx.Err())
	}
	rc.resume()
	if len(told) != 2 || !told[0] || told[1] {
		t.Fatalf("waiting told %v, want [true false] even when the parent ended the wait", told)
	}
}

// The deadline a read context reports is when its time runs out if nothing waits from now on, so
// that a retry that would sleep past it gives up at once; a parent's earlier deadline wins.
func TestReadTimeoutDeadline(t *testing.T) {
	began := time.Now()
	ctx, cancel := WithReadTimeout(context.Background(), time.Second, nil)
	defer cancel()
	dl, ok := ctx.Deadline()
	if !ok || dl.Before(began.Add(time.Second)) || dl.After(time.Now().Add(time.Second)) {
		t.Fatalf("deadline %v (%v), want a second from the start", dl.Sub(began), ok)
	}
	rc := readContextOf(ctx)
	rc.pause()
	time.Sleep(100 * time.Millisecond)
	if moved, _ := ctx.Deadline(); !moved.After(dl) {
		t.Fatalf("deadline while waiting for the limit %v, want later than %v", moved.Sub(began), dl.Sub(began))
	}
	rc.resume()
	parent, pcancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer pcancel()
	ctx, cancel = WithReadTimeout(parent, time.Hour, nil)
	defer cancel()
	if dl, _ := ctx.Deadline(); dl.After(time.Now().Add(time.Second)) {
		t.Fatalf("deadline %v away under a parent's of 10 ms", time.Until(dl))
	}
}
