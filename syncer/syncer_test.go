package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
	"github.com/avs-sync/avs-sync/submitter"
	"github.com/avs-sync/avs-sync/watcher"
)

// chain is an in-memory AVS with one quorum: stakes the fake submitter writes and events the
// fake source emits. The chain-facing paths are tested on the devnet (e2e); this covers the loop's
// own decisions: retry with backoff, never a hot loop, drain at shutdown.
type chain struct {
	mu       sync.Mutex
	head     uint64
	stored   map[common.Address]int64
	weight   map[common.Address]int64
	fails    int  // Submit calls left to fail
	capped   bool // Submit sends nothing: fees above the cap
	submits  int
	gas      uint64        // gas each successful Submit's transaction used
	inFlight chan struct{} // closed by the test to let a Submit finish, when set
}

func (c *chain) BlockNumber(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.head, nil
}

func (c *chain) OperatorStakes(_ context.Context, ops []common.Address, _ uint64) ([]planner.OperatorStake, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]planner.OperatorStake, len(ops))
	for i, op := range ops {
		out[i] = planner.OperatorStake{Operator: op, Registered: true, Quorums: []planner.QuorumStake{{
			Quorum: 0, Stored: big.NewInt(c.stored[op]), Weight: big.NewInt(c.weight[op]), Minimum: new(big.Int),
		}}}
	}
	return out, nil
}

func (c *chain) QuorumOperators(context.Context, []uint8, uint64) (map[uint8][]common.Address, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ops []common.Address
	for op := range c.weight {
		ops = append(ops, op)
	}
	return map[uint8][]common.Address{0: ops}, nil
}

func (c *chain) AllOperators(ctx context.Context, block uint64) ([]common.Address, error) {
	sets, _ := c.QuorumOperators(ctx, nil, block)
	return sets[0], nil
}

func (c *chain) Quorums(context.Context, uint64) ([]registry.Quorum, error) {
	return []registry.Quorum{{Number: 0}}, nil
}

func (c *chain) PendingAllocations(context.Context, []common.Address, []uint8, uint64) ([]registry.PendingAllocation, error) {
	return nil, nil
}

func (c *chain) Submit(ctx context.Context, plan planner.Plan) (submitter.Result, error) {
	c.mu.Lock()
	c.submits++
	wait := c.inFlight
	c.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return submitter.Result{}, ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fails > 0 {
		c.fails--
		return submitter.Result{}, submitter.ErrReverted
	}
	if c.capped {
		var res submitter.Result
		for _, q := range plan.Quorums {
			res.Txs = append(res.Txs, submitter.TxResult{Tx: submitter.Tx{Kind: submitter.KindUpdateOperatorsForQuorum, Quorums: []uint8{q.Quorum},
				OperatorsPerQuorum: [][]common.Address{q.Operators}, Operators: q.Operators}, Outcome: submitter.NotSent, Err: submitter.ErrFeeAboveCap})
		}
		if len(plan.Operators) > 0 {
			res.Txs = append(res.Txs, submitter.TxResult{Tx: submitter.Tx{Kind: submitter.KindUpdateOperators, Operators: plan.Operators},
				Outcome: submitter.NotSent, Err: submitter.ErrFeeAboveCap})
		}
		return res, submitter.ErrFeeAboveCap
	}
	for _, op := range plan.Operators {
		c.stored[op] = c.weight[op]
	}
	for _, q := range plan.Quorums {
		for _, op := range q.Operators {
			c.stored[op] = c.weight[op]
		}
	}
	res := submitter.TxResult{Block: c.head}
	if c.gas > 0 {
		res.GasUsed, res.Hash = c.gas, common.BigToHash(big.NewInt(int64(c.submits)))
	}
	return submitter.Result{Txs: []submitter.TxResult{res}}, nil
}

func (c *chain) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.submits
}

// source emits the batches it is given, then waits for the end.
type source struct{ batches chan watcher.Batch }

func (s source) Run(ctx context.Context, out chan<- watcher.Batch) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case b := <-s.batches:
			select {
			case out <- b:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

var op, other = common.HexToAddress("0x1"), common.HexToAddress("0x2")

func TestRetriesRevertWithBackoff(t *testing.T) {
	// Two operators, one of which goes stale: an updateOperators plan, not a quorum refresh.
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1, other: 1}, weight: map[common.Address]int64{op: 1, other: 1}, fails: 2}
	s := newTestSyncer(t, Config{Retries: 3, MaxBackoff: 30 * time.Millisecond}, c, c, c, slog.New(slog.DiscardHandler), nil, nil)
	src := source{batches: make(chan watcher.Batch, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, src) }()
	waitUntil(t, "startup check", func() bool { st := s.Status(); return st.Started && st.Dirty == 0 && st.Processing == 0 })

	c.mu.Lock()
	c.weight[op] = 5
	c.head = 11
	c.mu.Unlock()
	began := time.Now()
	src.batches <- watcher.Batch{From: 11, To: 11, Head: 11, Events: []watcher.Event{{Kind: watcher.SharesChanged, Operator: op, Block: 11}}}
	waitUntil(t, "stake stored after two reverts", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.stored[op] == 5 })
	if n := c.calls(); n != 3 {
		t.Fatalf("%d submits, want 3 (two reverts, one success)", n)
	}
	if took := time.Since(began); took < 2*30*time.Millisecond {
		t.Fatalf("retried after %v: no backoff between attempts", took)
	}
	// Nothing more to do: no further submits.
	time.Sleep(50 * time.Millisecond)
	if n := c.calls(); n != 3 {
		t.Fatalf("%d submits after success, want 3", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 2}, inFlight: make(chan struct{})}
	s := newTestSyncer(t, Config{Drain: 5 * time.Second}, c, c, c, slog.New(slog.DiscardHandler), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, source{batches: make(chan watcher.Batch)}) }()
	waitUntil(t, "update in flight", func() bool { return c.calls() == 1 })
	cancel()
	select {
	case <-done:
		t.Fatal("Watch returned with an update in flight")
	case <-time.After(20 * time.Millisecond):
	}
	close(c.inFlight)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stored[op] != 2 {
		t.Fatal("the in-flight update was not seen through")
	}
}

// The update in flight at shutdown is seen through, and its gas counts in the budget: a restart
// loop does not evade --max-gas-per-day.
func TestShutdownDrainCountsGas(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 2},
		inFlight: make(chan struct{}), gas: 300_000}
	dir := t.TempDir()
	s := newTestSyncer(t, Config{Drain: 5 * time.Second, MaxGasPerDay: 1_000_000, StateDir: dir}, c, c, c, slog.New(slog.DiscardHandler), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, source{batches: make(chan watcher.Batch)}) }()
	waitUntil(t, "update in flight", func() bool { return c.calls() == 1 })
	cancel()
	close(c.inFlight)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	g, err := newGasBudget(1_000_000, 0, dir, time.Now, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Used(); got != 300_000 {
		t.Fatalf("gas in the window after the drained update: %d, want 300000", got)
	}
	// Reported again by the sender, the same transaction is not counted twice.
	s.Spent(common.BigToHash(big.NewInt(1)), 300_000)
	if got := s.budget.Used(); got != 300_000 {
		t.Fatalf("gas in the window after the same receipt twice: %d, want 300000", got)
	}
}

func TestShutdownAbandonsHungUpdate(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 2}, inFlight: make(chan struct{})}
	s := newTestSyncer(t, Config{Drain: 20 * time.Millisecond}, c, c, c, slog.New(slog.DiscardHandler), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, source{batches: make(chan watcher.Batch)}) }()
	waitUntil(t, "update in flight", func() bool { return c.calls() == 1 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a hung update held shutdown past Drain")
	}
}

// lockedBuffer is a log sink safe for the loop's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Fees above the cap: nothing is sent, the loop looks again every HoldBlocks blocks, no failure
// counts toward setting the work aside, a deadline refresh waiting is an error line, and once the
// fees fall the update lands.
func TestFeeCapWaitsWithoutFailing(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1, other: 1}, weight: map[common.Address]int64{op: 1, other: 1}, capped: true}
	logs := &lockedBuffer{}
	cfg := Config{Retries: 1, MaxBackoff: 10 * time.Millisecond,
		Planner: planner.Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 15, DeadlineMargin: 5}}
	s := newTestSyncer(t, cfg, c, c, c, slog.New(slog.NewTextHandler(logs, nil)), nil, nil)
	src := source{batches: make(chan watcher.Batch)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, src) }()
	// Quorum 0 was never refreshed: its deadline (0 + 15 - 5) is due at head 10, and fees are above
	// the cap.
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	waitUntil(t, "first attempt", func() bool { return c.calls() >= 1 })
	waitUntil(t, "deadline at risk logged", func() bool { return strings.Contains(logs.String(), "deadline at risk") })
	c.mu.Lock()
	c.weight[op] = 5
	c.mu.Unlock()
	head := uint64(10)
	for range 5 * HoldBlocks {
		head++
		c.mu.Lock()
		c.head = head
		c.mu.Unlock()
		src.batches <- watcher.Batch{From: head, To: head, Head: head, Events: []watcher.Event{{Kind: watcher.SharesChanged, Operator: op, Block: head}}}
	}
	waitUntil(t, "looks again", func() bool { return c.calls() >= 2 })
	if n := c.calls(); n > 5+1 {
		t.Fatalf("%d attempts over %d blocks, want at most one per %d blocks", n, 5*HoldBlocks, HoldBlocks)
	}
	if held := testutil.ToFloat64(s.metrics.heldBack.WithLabelValues(planner.HeldFeeCap)); held < 1 {
		t.Fatalf("held_back_operators{fee_cap} = %v, want the waiting operators", held)
	}
	if st := s.Status(); st.Failures != 0 {
		t.Fatalf("status %+v: waiting for fees counted as failures", st)
	}
	s.metrics.mu.Lock()
	got := s.metrics.failuresInARow
	s.metrics.mu.Unlock()
	if got != 0 {
		t.Fatalf("consecutive failures %d while waiting for fees, want 0", got)
	}
	c.mu.Lock()
	c.capped = false
	c.mu.Unlock()
	for i := 0; ; i++ {
		c.mu.Lock()
		stored := c.stored[op] == 5
		c.mu.Unlock()
		if stored {
			break
		}
		if i == 10_000 {
			t.Fatal("stake not stored 10000 blocks after fees fell")
		}
		head++
		c.mu.Lock()
		c.head = head
		c.mu.Unlock()
		src.batches <- watcher.Batch{From: head, To: head, Head: head}
	}
	// The gauge follows once the loop has the outcome, just after the stake is stored.
	waitUntil(t, "held_back_operators{fee_cap} back to 0", func() bool {
		return testutil.ToFloat64(s.metrics.heldBack.WithLabelValues(planner.HeldFeeCap)) == 0
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// loadBlocked is a chain whose registered-operator read at start waits for the caller to give up.
type loadBlocked struct {
	*chain
	loading chan struct{}
}

func (l loadBlocked) AllOperators(ctx context.Context, _ uint64) ([]common.Address, error) {
	close(l.loading)
	<-ctx.Done()
	return nil, fmt.Errorf("read registered operators: %w", ctx.Err())
}

// A stop while the AVS's state is still loading is a clean stop (exit 0 for SIGTERM), not a
// failed read: nothing was read, nothing was sent.
func TestShutdownWhileLoading(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 1}}
	r := loadBlocked{chain: c, loading: make(chan struct{})}
	s := newTestSyncer(t, Config{}, r, c, c, slog.New(slog.DiscardHandler), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, source{batches: make(chan watcher.Batch)}) }()
	<-r.loading
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Watch stopped while loading: %v, want nil", err)
	}
}

// settled is the outcome of b whose plan came back as sent, as execute makes it.
func settled(b planner.Batch, sent submitter.Result) outcome {
	o := outcome{batch: b}
	o.res.AddParts(b, sent.Parts())
	o.waits(sent)
	return o
}

// A transaction the signing service rejected is the work's own failure (it counts toward setting
// it aside), not a node fault retried forever.
func TestRejectedIsOwnFailure(t *testing.T) {
	rejected := fmt.Errorf("transaction 1 at nonce 2: %w", submitter.ErrRejected)
	o := settled(planner.Batch{Operators: []common.Address{op}}, submitter.Result{Txs: []submitter.TxResult{{
		Tx: submitter.Tx{Kind: submitter.KindUpdateOperators, Operators: []common.Address{op}}, Outcome: submitter.NotSent, Err: rejected}}})
	if len(o.res.FailedOperators) != 1 || len(o.res.WaitingOperators) != 0 || o.transient != nil {
		t.Fatalf("failed %v, waiting %v, transient %v: want the operator failed, no node fault",
			o.res.FailedOperators, o.res.WaitingOperators, o.transient)
	}
}

// A list of several operators mined and reverted fails them all and goes to the planner as a
// list to split; a reverted update of one operator is no list.
func TestRevertedListSplit(t *testing.T) {
	reverted := fmt.Errorf("updateOperators in tx 0x1: %w", submitter.ErrReverted)
	o := settled(planner.Batch{Operators: []common.Address{op, other}}, submitter.Result{Txs: []submitter.TxResult{
		{Tx: submitter.Tx{Kind: submitter.KindUpdateOperators, Operators: []common.Address{op, other}}, Outcome: submitter.Reverted, Err: reverted, GasUsed: 36_000},
		{Tx: submitter.Tx{Kind: submitter.KindUpdateOperators, Operators: []common.Address{op}}, Outcome: submitter.Reverted, Err: reverted, GasUsed: 36_000},
	}})
	if len(o.res.FailedOperators) != 3 || len(o.res.FailedLists) != 1 || len(o.res.FailedLists[0]) != 2 {
		t.Fatalf("failed %v, lists %v: want the list of two to split", o.res.FailedOperators, o.res.FailedLists)
	}
}

// A part held back for the budget waits: not failed, not a node fault, and the loop looks again
// a few blocks later.
func TestOverBudgetWaits(t *testing.T) {
	o := settled(planner.Batch{Operators: []common.Address{op}}, submitter.Result{Txs: []submitter.TxResult{{
		Tx: submitter.Tx{Kind: submitter.KindUpdateOperators, Operators: []common.Address{op}, GasEstimate: 100_000}, Outcome: submitter.NotSent,
		Err: fmt.Errorf("held: %w", submitter.ErrOverBudget)}}})
	if len(o.res.FailedOperators) != 0 || len(o.res.WaitingOperators) != 1 || o.transient != nil || !o.overBudget || o.overBudgetGas != 120_000 {
		t.Fatalf("failed %v, waiting %v, transient %v, over budget %v: want the operator waiting for the budget",
			o.res.FailedOperators, o.res.WaitingOperators, o.transient, o.overBudget)
	}
}

// A budget without a state directory lives in memory: a restart loop would reset it, and the
// start says so.
func TestBudgetInMemoryWarned(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want bool
	}{
		{Config{MaxGasPerDay: 1_000_000}, true},
		{Config{MaxGasPerDay: 1_000_000, StateDir: t.TempDir()}, false},
		{Config{}, false},
	} {
		var buf lockedBuffer
		newTestSyncer(t, tt.cfg, &chain{}, &chain{}, &chain{}, slog.New(slog.NewTextHandler(&buf, nil)), nil, nil)
		if got := strings.Contains(buf.String(), "--max-gas-per-day without --state-dir"); got != tt.want {
			t.Fatalf("config %+v: warned %v, want %v; log: %s", tt.cfg, got, tt.want, buf.String())
		}
	}
}

// newTestSyncer is New, failing the test on an error.
func newTestSyncer(t testing.TB, cfg Config, r Reader, sub Submitter, head HeadReader, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) *Syncer {
	t.Helper()
	s, err := New(cfg, r, sub, head, log, reg, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newTestMetrics is newMetrics, failing the test on an error.
func newTestMetrics(t testing.TB, reg prometheus.Registerer) *metrics {
	t.Helper()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newTestRetryReader is newRetryReader, failing the test on an error.
func newTestRetryReader(t testing.TB, r Reader, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) *retryReader {
	t.Helper()
	rr, err := newRetryReader(r, log, reg, now)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// The events of one watcher batch are one instant to the planner, however long applying them
// takes: with a clock that moves at every read, the operators they dirty are handed out in one
// batch, not the first alone at its ready time.
func TestBatchAppliedAtOneInstant(t *testing.T) {
	clk := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { clk = clk.Add(time.Microsecond); return clk }
	for _, staleness := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprintf("max staleness %s", staleness), func(t *testing.T) {
			pc := planner.Config{Debounce: time.Second, MaxStaleness: staleness}
			s := newTestSyncer(t, Config{Planner: pc}, nil, nil, nil, slog.New(slog.DiscardHandler), nil, now)
			p := planner.New(pc, now)
			var ops []common.Address
			for i := 1; i <= 5; i++ {
				ops = append(ops, common.BigToAddress(big.NewInt(int64(i))))
			}
			p.SetOperators(ops)
			p.SetQuorums([]uint8{0})
			p.AdvanceHead(100)
			clk = clk.Add(time.Hour)
			b := watcher.Batch{From: 101, To: 101, Head: 101}
			for _, op := range ops {
				b.Events = append(b.Events, watcher.Event{Kind: watcher.SharesChanged, Name: "OperatorSharesIncreased", Operator: op, Quorum: watcher.NoQuorum, Block: 101})
			}
			s.apply(p, b)
			wake, ok := p.NextWake()
			if !ok {
				t.Fatal("nothing waits after the batch")
			}
			clk = wake.Add(-time.Microsecond) // the next read is the wake itself
			got, ok := p.Next()
			if !ok || len(got.Operators) != len(ops) {
				t.Fatalf("first batch after the events has operators %v, want all %d", got.Operators, len(ops))
			}
		})
	}
}
