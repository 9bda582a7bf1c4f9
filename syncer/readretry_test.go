package syncer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
)

// lagging is a reader whose reads fail with fail's error for the first fails calls, as a load
// balancer's member without the block answers, and records the blocks asked.
type lagging struct {
	*chain
	fails  int
	fail   error
	blocks []uint64
	avs    common.Address
}

func (l *lagging) OperatorStakes(ctx context.Context, ops []common.Address, block uint64) ([]planner.OperatorStake, error) {
	l.blocks = append(l.blocks, block)
	if l.fails > 0 {
		l.fails--
		return nil, l.fail
	}
	return l.chain.OperatorStakes(ctx, ops, block)
}

func (l *lagging) SetAVS(avs common.Address) { l.avs = avs }

func unavailable(msg string) error {
	return fmt.Errorf("read stakes at block 7: getCurrentStake at block 7: %w: %w", registry.ErrBlockUnavailable, errors.New(msg))
}

func TestRetryReader(t *testing.T) {
	op := common.HexToAddress("0x1")
	tests := []struct {
		name     string
		fails    int
		fail     error
		deadline time.Duration // of the read's context; 0 = none
		// want: the waits between reads, the error (nil, ErrBlockUnavailable or the fault), the
		// retries counted per reason.
		waits   []time.Duration
		wantErr error
		counted map[string]float64
	}{
		{name: "answered at once", waits: nil, counted: map[string]float64{}},
		{name: "header not found three times, then answered", fails: 3, fail: unavailable("header not found"),
			waits: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}, counted: map[string]float64{registry.UnavailableBlock: 3}},
		{name: "missing trie node once", fails: 1, fail: unavailable("missing trie node 3a4b (path )"),
			waits: []time.Duration{200 * time.Millisecond}, counted: map[string]float64{registry.UnavailableState: 1}},
		{name: "another error is not retried", fails: 1, fail: errors.New("connection refused"), wantErr: errors.New("connection refused"),
			counted: map[string]float64{}},
		{name: "a member lagging past the bound fails the read", fails: 100, fail: unavailable("header not found"),
			waits: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond,
				2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second},
			wantErr: registry.ErrBlockUnavailable, counted: map[string]float64{registry.UnavailableBlock: 10}},
		{name: "no wait past the read's deadline", fails: 100, fail: unavailable("header not found"), deadline: time.Second,
			waits: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}, wantErr: registry.ErrBlockUnavailable,
			counted: map[string]float64{registry.UnavailableBlock: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &chain{stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 2}}
			l := &lagging{chain: c, fails: tt.fails, fail: tt.fail}
			clock := time.Now()
			var logs bytes.Buffer
			reg := prometheus.NewRegistry()
			rr := newTestRetryReader(t, l, slog.New(slog.NewJSONHandler(&logs, nil)), reg, func() time.Time { return clock })
			var waits []time.Duration
			rr.wait = func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				clock = clock.Add(d)
				return nil
			}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, clock.Add(tt.deadline))
				defer cancel()
			}
			stakes, err := rr.OperatorStakes(ctx, []common.Address{op}, 7)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("error %v, want an answer", err)
			case tt.wantErr == nil && (len(stakes) != 1 || !stakes[0].Quorums[0].Stale()):
				t.Fatalf("answer %+v, want the operator stale", stakes)
			case errors.Is(tt.wantErr, registry.ErrBlockUnavailable) && !errors.Is(err, registry.ErrBlockUnavailable):
				t.Fatalf("error %v, want ErrBlockUnavailable", err)
			case tt.wantErr != nil && !errors.Is(tt.wantErr, registry.ErrBlockUnavailable) && (err == nil || err.Error() != tt.wantErr.Error()):
				t.Fatalf("error %v, want %v unchanged", err, tt.wantErr)
			}
			if !slices.Equal(waits, tt.waits) {
				t.Errorf("waits %v, want %v", waits, tt.waits)
			}
			for _, b := range l.blocks {
				if b != 7 {
					t.Errorf("read at blocks %v, want every retry at block 7", l.blocks)
					break
				}
			}
			if len(l.blocks) != len(tt.waits)+1 {
				t.Errorf("%d reads, want %d", len(l.blocks), len(tt.waits)+1)
			}
			for _, reason := range registry.UnavailableReasons {
				if got := testutil.ToFloat64(rr.retries.WithLabelValues(reason)); got != tt.counted[reason] {
					t.Errorf("avssync_read_retries_total{reason=%q} %v, want %v", reason, got, tt.counted[reason])
				}
			}
			if n, err := testutil.GatherAndCount(reg, "avssync_read_retries_total"); err != nil || n != len(registry.UnavailableReasons) {
				t.Errorf("%d series of avssync_read_retries_total (%v), want every reason from the start", n, err)
			}
			if lines := strings.Count(logs.String(), "retrying at the same block"); lines != len(tt.waits) {
				t.Errorf("%d retry lines, want one per retry (%d):\n%s", lines, len(tt.waits), logs.String())
			}
		})
	}
}

// A read retried while the loop shuts down ends with the context, without waiting out the delay.
func TestRetryReaderStopsWithContext(t *testing.T) {
	l := &lagging{chain: &chain{}, fails: 100, fail: unavailable("header not found")}
	rr := newTestRetryReader(t, l, slog.New(slog.DiscardHandler), nil, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rr.OperatorStakes(ctx, []common.Address{{1}}, 7); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	rr.SetAVS(common.Address{9})
	if l.avs != (common.Address{9}) {
		t.Errorf("SetAVS not passed on to the wrapped reader")
	}
}

// counting is a reader that can count strategies.
type counting struct {
	*chain
	counts map[uint8]int
}

func (c *counting) QuorumStrategyCounts(context.Context, []uint8, uint64) (map[uint8]int, error) {
	return c.counts, nil
}

// The retrying reader passes the strategy counts through, so the cost model and the cron's bill
// price quorums of many strategies as such; a reader that cannot count answers nothing.
func TestRetryReaderCountsStrategies(t *testing.T) {
	rr := newTestRetryReader(t, &counting{counts: map[uint8]int{0: 10, 1: 2}}, slog.New(slog.DiscardHandler), nil, time.Now)
	got, err := rr.QuorumStrategyCounts(context.Background(), []uint8{0, 1}, 7)
	if err != nil || got[0] != 10 || got[1] != 2 {
		t.Fatalf("counts %v, %v; want quorum 0 of 10 strategies, quorum 1 of 2", got, err)
	}
	got, err = newTestRetryReader(t, &lagging{}, slog.New(slog.DiscardHandler), nil, time.Now).QuorumStrategyCounts(context.Background(), []uint8{0}, 7)
	if err != nil || len(got) != 0 {
		t.Fatalf("a reader that cannot count: %v, %v; want none", got, err)
	}
}
