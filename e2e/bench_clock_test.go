package e2e

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

// headClock records the wall time each block arrived at, from a newHeads subscription of its own
// (the devnet's block timestamps advance a whole second per block, so they cannot time 100 ms
// blocks), and lets callers wait for a block.
type headClock struct {
	client *ethclient.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	seen map[uint64]time.Time
	head uint64
	err  error
	// moved is closed and replaced whenever head moves or the subscription fails.
	moved chan struct{}
}

// startHeadClock subscribes to new heads at wsURL; close stops it.
func startHeadClock(ctx context.Context, wsURL string) (*headClock, error) {
	client, err := ethclient.DialContext(ctx, wsURL)
	if err != nil {
		return nil, fmt.Errorf("dial %s for new heads: %w", wsURL, err)
	}
	heads := make(chan *types.Header, 256)
	runCtx, cancel := context.WithCancel(context.Background())
	sub, err := client.SubscribeNewHead(runCtx, heads)
	if err != nil {
		cancel()
		client.Close()
		return nil, fmt.Errorf("subscribe to new heads: %w", err)
	}
	h := &headClock{client: client, cancel: cancel, done: make(chan struct{}), seen: map[uint64]time.Time{}, moved: make(chan struct{})}
	go h.run(runCtx, sub.Err(), heads, sub.Unsubscribe)
	return h, nil
}

func (h *headClock) run(ctx context.Context, errc <-chan error, heads <-chan *types.Header, unsubscribe func()) {
	defer close(h.done)
	defer unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-errc:
			h.fail(fmt.Errorf("new heads subscription: %w", orEnded(err)))
			return
		case hd := <-heads:
			h.record(hd.Number.Uint64(), time.Now())
		}
	}
}

func (h *headClock) record(n uint64, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.seen[n]; !ok {
		h.seen[n] = at
	}
	if n > h.head {
		h.head = n
		close(h.moved)
		h.moved = make(chan struct{})
	}
}

func (h *headClock) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = err
	close(h.moved)
	h.moved = make(chan struct{})
}

// last is the newest block seen.
func (h *headClock) last() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.head
}

// wait returns once block n has arrived, or with ctx's error or the subscription's.
func (h *headClock) wait(ctx context.Context, n uint64) error {
	for {
		h.mu.Lock()
		head, err, moved := h.head, h.err, h.moved
		h.mu.Unlock()
		switch {
		case head >= n:
			return nil
		case err != nil:
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("at block %d: %w", head, ctx.Err())
		case <-moved:
		}
	}
}

// at is when block n arrived: the arrival of the first block at or above n that was seen (heads
// are not skipped on the devnet, which seals one block at a time).
func (h *headClock) at(n uint64) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for b := n; b <= h.head; b++ {
		if t, ok := h.seen[b]; ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// since is the time between the arrivals of blocks from and to, in seconds.
func (h *headClock) since(from, to uint64) (float64, bool) {
	a, ok1 := h.at(from)
	b, ok2 := h.at(to)
	if !ok1 || !ok2 {
		return 0, false
	}
	return b.Sub(a).Seconds(), true
}

func (h *headClock) close() {
	h.cancel()
	<-h.done
	h.client.Close()
}

func orEnded(err error) error {
	if err == nil {
		return fmt.Errorf("subscription ended")
	}
	return err
}
