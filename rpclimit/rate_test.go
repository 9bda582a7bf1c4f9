package rpclimit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeNode answers every request 200, or 429 while its countdown of 429s lasts.
type fakeNode struct{ tooMany int }

func (n *fakeNode) RoundTrip(req *http.Request) (*http.Response, error) {
	io.ReadAll(req.Body)
	code := http.StatusOK
	if n.tooMany > 0 {
		n.tooMany--
		code = http.StatusTooManyRequests
	}
	return &http.Response{StatusCode: code, Body: io.NopCloser(strings.NewReader("{}")), Header: http.Header{}}, nil
}

func batchOf(n int) string {
	calls := make([]string, n)
	for i := range calls {
		calls[i] = fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"eth_call","params":[]}`, i)
	}
	if n == 1 {
		return calls[0]
	}
	return "[" + strings.Join(calls, ",") + "]"
}

// sent is a request the fake clock saw go out.
type sent struct {
	at    time.Duration
	calls int
}

// run sends requests of the given sizes one after another through a rate transport on a fake
// clock and returns when each went out.
func run(t *testing.T, limit int, node *fakeNode, sizes []int) []sent {
	t.Helper()
	start := time.Unix(1000, 0)
	now := start
	tr := newRateTransport(node, limit, func() time.Time { return now }, func(ctx context.Context, d time.Duration) error {
		now = now.Add(d)
		return nil
	})
	var out []sent
	for _, n := range sizes {
		req, _ := http.NewRequest(http.MethodPost, "http://node", strings.NewReader(batchOf(n)))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		out = append(out, sent{now.Sub(start), n})
	}
	return out
}

// busiest is the most calls that went out in any window of a second.
func busiest(s []sent) int {
	most := 0
	for i := range s {
		n := 0
		for j := i; j < len(s) && s[j].at-s[i].at < time.Second; j++ {
			n += s[j].calls
		}
		most = max(most, n)
	}
	return most
}

func TestRate(t *testing.T) {
	repeat := func(size, times int) []int {
		out := make([]int, times)
		for i := range out {
			out[i] = size
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		limit int
		sizes []int
		// tooMany is how many of the first requests the node answers 429.
		tooMany int
		// most is the bound on calls in any second; took the time the last request went out.
		most int
		took time.Duration
	}{
		{"single calls at 50/s", 50, repeat(1, 200), 0, 50, 3 * time.Second},
		{"batches of 10 at 50/s", 50, repeat(10, 30), 0, 50, 5 * time.Second},
		{"batches of 50 at 50/s: one a second", 50, repeat(50, 5), 0, 50, 4 * time.Second},
		{"a batch over the limit goes alone", 50, []int{10, 80, 10}, 0, 80, 2 * time.Second},
		{"a 429 halves the limit", 50, repeat(1, 101), 1, 50, 3 * time.Second},
		{"429s within a second halve it once", 50, repeat(1, 101), 10, 50, 3 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := run(t, tt.limit, &fakeNode{tooMany: tt.tooMany}, tt.sizes)
			if got := busiest(s); got > tt.most {
				t.Errorf("%d calls in one second, want at most %d", got, tt.most)
			}
			if took := s[len(s)-1].at; took != tt.took {
				t.Errorf("last request out after %v, want %v", took, tt.took)
			}
		})
	}
}

func TestRateBackOff(t *testing.T) {
	// After a 429 at 40/s, the next second carries at most 20 calls, and the limit grows back by 4
	// a second.
	now := time.Unix(0, 0)
	tr := newRateTransport(&fakeNode{tooMany: 1}, 40, func() time.Time { return now }, func(ctx context.Context, d time.Duration) error {
		now = now.Add(d)
		return nil
	})
	send := func() {
		req, _ := http.NewRequest(http.MethodPost, "http://node", strings.NewReader(batchOf(1)))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send() // answered 429: limit 20
	perSecond := map[int64]int{}
	for range 200 {
		send()
		perSecond[now.Unix()]++
	}
	for sec, want := range map[int64]int{0: 19, 1: 24, 2: 28, 3: 32, 4: 36, 5: 40} {
		if perSecond[sec] != want {
			t.Errorf("second %d: %d calls, want %d (all: %v)", sec, perSecond[sec], want, perSecond)
		}
	}
}

func TestRateOff(t *testing.T) {
	if tr := Rate(nil, 0); tr != http.DefaultTransport {
		t.Errorf("Rate(nil, 0) = %T, want the base transport", tr)
	}
	if got := BatchSize(500, 50); got != 50 {
		t.Errorf("BatchSize(500, 50) = %d", got)
	}
	if got := BatchSize(500, 0); got != 500 {
		t.Errorf("BatchSize(500, 0) = %d", got)
	}
}

// slowNode answers after latency on the test's clock.
type slowNode struct {
	now     *time.Time
	latency time.Duration
}

func (n slowNode) RoundTrip(req *http.Request) (*http.Response, error) {
	io.ReadAll(req.Body)
	*n.now = n.now.Add(n.latency)
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("{}")), Header: http.Header{}}, nil
}

func TestRateCountsFromTheAnswer(t *testing.T) {
	// Batches of the whole limit, answered 300 ms after they go: the provider may count one at any
	// time in between, so the next goes a second after the answer, not after the send.
	now := time.Unix(0, 0)
	tr := newRateTransport(slowNode{&now, 300 * time.Millisecond}, 50, func() time.Time { return now }, func(ctx context.Context, d time.Duration) error {
		now = now.Add(d)
		return nil
	})
	var sentAt []time.Duration
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, "http://node", strings.NewReader(batchOf(50)))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		sentAt = append(sentAt, now.Sub(time.Unix(0, 0))-300*time.Millisecond)
	}
	if fmt.Sprint(sentAt) != "[0s 1.3s 2.6s]" {
		t.Errorf("batches sent at %v, want [0s 1.3s 2.6s]", sentAt)
	}
}

// A batch as large as the limit needs a second to itself: it gets one although single calls keep
// coming, because requests take their turn in the order they came.
func TestRateFullBatchNotStarved(t *testing.T) {
	tr := Rate(&fakeNode{}, 4)
	send := func(n int) error {
		req, _ := http.NewRequest(http.MethodPost, "http://node", strings.NewReader(batchOf(n)))
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	// Three callers of single calls, more than the limit lets through: one of them always
	// waits, and the window never empties on its own.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if err := send(1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(100 * time.Millisecond) // the single calls fill the window first
	batch := make(chan error, 1)
	go func() { batch <- send(4) }()
	select {
	case err := <-batch:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a batch of the limit's size waited 10 s behind single calls")
	}
}
