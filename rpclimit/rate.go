package rpclimit

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/avs-sync/avs-sync/internal/backoff"
	"github.com/avs-sync/avs-sync/rpcmetrics"
)

// FreeTierRate is a bound on calls per second under the free tiers of the common
// providers (Infura's 2000 credits/s at 80 per eth_call is 25 calls/s; Chainstack's 25 requests/s;
// dRPC's 40 eth_calls/s at its busiest), and past Alchemy's guaranteed 330 CU/s (12 eth_calls)
// only into its elastic share, where a 429 backs the limit off.
const FreeTierRate = 20

// window is how long the limit counts over, and recovery how fast a limit cut by 429s grows back:
// by a tenth of the configured rate per window without one.
const window = time.Second

// Rate wraps base (nil: http.DefaultTransport) so that at most perSecond JSON-RPC calls go out in
// any second, each call of a batch counted, as providers count them. A 429 from the node halves the
// limit (at most once a second); it grows back by a tenth of perSecond each second. A request of more calls
// than the limit waits for a second with nothing else in it (size batches to the limit to avoid
// that: BatchSize). perSecond 0 is no limit: base is returned as it is.
func Rate(base http.RoundTripper, perSecond int) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if perSecond <= 0 {
		return base
	}
	return newRateTransport(base, perSecond, time.Now, backoff.Sleep)
}

// BatchSize is the most calls to put in one batch under a rate of perSecond (0: no limit): no
// batch larger than a second's allowance.
func BatchSize(batch, perSecond int) int {
	if perSecond > 0 && batch > perSecond {
		return perSecond
	}
	return batch
}

type rateTransport struct {
	base  http.RoundTripper
	limit int
	now   func() time.Time
	wait  func(ctx context.Context, d time.Duration) error

	// turn is held by the one request taking its calls from the window: requests take them in
	// the order they came (blocked channel sends are served first come, first served), so a
	// batch as large as the limit, which needs a window to itself, is not starved by a stream of
	// single calls that each fit.
	turn chan struct{}

	mu sync.Mutex
	// sent are the requests sent or answered within the last window, and inWindow the calls in
	// them.
	sent     []*stamp
	inWindow int
	// cutAt is when a 429 last cut the limit, to cutTo calls; zero if never.
	cutAt time.Time
	cutTo int
}

// stamp is when a request went out, or once answered when its answer came, and how many calls it
// carried.
type stamp struct {
	at    time.Time
	calls int
}

func newRateTransport(base http.RoundTripper, limit int, now func() time.Time, wait func(context.Context, time.Duration) error) *rateTransport {
	return &rateTransport{base: base, limit: limit, now: now, wait: wait, turn: make(chan struct{}, 1)}
}

// RoundTrip waits until the request's calls fit in the window, sends it, and cuts the limit on a 429.
func (t *rateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	calls := 1
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		calls = max(1, len(rpcmetrics.Methods(b)))
	}
	st, err := t.acquire(req.Context(), calls)
	if err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	t.settle(st)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		t.backOff()
	}
	return resp, err
}

// acquire waits until calls more fit in the last window under the current limit, and counts them.
func (t *rateTransport) acquire(ctx context.Context, calls int) (*stamp, error) {
	// The wait does not count against the read's own timeout (WithReadTimeout).
	paused := false
	pause := func() {
		if rc := readContextOf(ctx); rc != nil && !paused {
			rc.pause()
			paused = true
		}
	}
	defer func() {
		if paused {
			readContextOf(ctx).resume()
		}
	}()
	select {
	case t.turn <- struct{}{}:
	default:
		pause()
		select {
		case t.turn <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() { <-t.turn }()
	for {
		t.mu.Lock()
		now := t.now()
		t.expire(now)
		limit := t.current(now)
		need := min(calls, limit) // a request larger than the limit goes alone
		if t.inWindow+need <= limit {
			st := &stamp{now, calls}
			t.sent = append(t.sent, st)
			t.inWindow += calls
			t.mu.Unlock()
			return st, nil
		}
		// Wait until enough of the oldest requests leave the window.
		oldest := slices.Clone(t.sent)
		slices.SortFunc(oldest, func(a, b *stamp) int { return a.at.Compare(b.at) })
		until, freed := now.Add(window), 0
		for _, s := range oldest {
			freed += s.calls
			if t.inWindow-freed+need <= limit {
				until = s.at.Add(window)
				break
			}
		}
		t.mu.Unlock()
		pause()
		if err := t.wait(ctx, max(until.Sub(now), time.Millisecond)); err != nil {
			return nil, err
		}
	}
}

// settle moves a request's time to when its answer came: the provider counted it on arrival,
// somewhere between the send and the answer, so a window counted from the answer holds whatever
// the way's delays were.
func (t *rateTransport) settle(st *stamp) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st.at = t.now()
}

// expire drops the requests older than a window. t.mu is held.
func (t *rateTransport) expire(now time.Time) {
	t.sent = slices.DeleteFunc(t.sent, func(s *stamp) bool {
		if now.Sub(s.at) >= window {
			t.inWindow -= s.calls
			return true
		}
		return false
	})
}

// current is the limit now: the configured one, or what a 429 cut it to plus what has grown back
// since. t.mu is held.
func (t *rateTransport) current(now time.Time) int {
	if t.cutAt.IsZero() {
		return t.limit
	}
	step := max(1, t.limit/10)
	return min(t.limit, t.cutTo+int(now.Sub(t.cutAt)/window)*step)
}

// backOff halves the limit after a 429, once a window: the 429s of requests sent before a cut
// took effect say nothing about the new limit. The request's Retry-After is the retry's to
// honour: a provider's 429s come at random on a bad day as well as when its limit is passed, and
// a pause of every request for each would stall the reads that do get through.
func (t *rateTransport) backOff() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if !t.cutAt.IsZero() && now.Sub(t.cutAt) < window {
		return
	}
	t.cutTo, t.cutAt = max(1, t.current(now)/2), now
}
