package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
	"github.com/avs-sync/avs-sync/watcher"
)

// stale_seconds counts a change from its first event: once read stale, and before it is read
// again (debouncing, or held back by the budget) in the quorums its operator was last read in.
// An immaterial change does not count; a stored one stops counting.
func TestStaleSeconds(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	m := newTestMetrics(t, nil)
	m.quorums([]uint8{0, 1})
	a, b := common.HexToAddress("0xa"), common.HexToAddress("0xb")
	p := newMetricsPlanner(t, t0, a, b)
	age := func(q string) float64 { return testutil.ToFloat64(m.staleSeconds.WithLabelValues(q)) }

	// The start-up read: a in quorum 0, b in quorums 0 and 1, nothing stale.
	m.resolved(planner.Batch{Operators: []common.Address{a, b}},
		planner.Resolution{Membership: map[common.Address][]uint8{a: {0}, b: {0, 1}}}, p.FirstEvents(), t0)
	m.publish(nil, p.FirstEvents(), noDeadline, t0)
	if age("0") != 0 || age("1") != 0 {
		t.Fatalf("stale seconds %v, %v with nothing stale", age("0"), age("1"))
	}
	// a's event, read stale as immaterial: not counted.
	p.event(a, t0, 4)
	ab := p.next()
	m.resolved(ab, planner.Resolution{Stale: map[common.Address][]uint8{a: {0}}, Immaterial: []common.Address{a},
		Membership: map[common.Address][]uint8{a: {0}}}, p.FirstEvents(), t0.Add(5*time.Second))
	p.Done(ab, planner.Outcome{Immaterial: []common.Address{a}})
	// b's event, not read yet: counts in its quorums.
	p.event(b, t0.Add(10*time.Second), 5)
	m.publish(p.HeldBack(), p.FirstEvents(), noDeadline, t0.Add(70*time.Second))
	if age("0") != 60 || age("1") != 60 {
		t.Fatalf("stale seconds %v, %v; want 60 in both of b's quorums", age("0"), age("1"))
	}
	m.publish(p.HeldBack(), p.FirstEvents(), noDeadline, t0.Add(100*time.Second))
	if age("0") != 90 {
		t.Fatalf("stale seconds of quorum 0 = %v, want b's 90 only", age("0"))
	}
	// b stored by updateOperators at block 9: nothing left, and its latency observed once.
	bb := p.next()
	m.resolved(bb, planner.Resolution{Stale: map[common.Address][]uint8{b: {0, 1}}, Membership: map[common.Address][]uint8{b: {0, 1}}},
		p.FirstEvents(), t0.Add(105*time.Second))
	m.updated([]submitter.TxResult{{Tx: submitter.Tx{Kind: submitter.KindUpdateOperators, Operators: []common.Address{b}}}})
	p.settle(m, bb, planner.Outcome{Stored: []common.Address{b, b}}, t0.Add(110*time.Second), 9)
	m.publish(p.HeldBack(), p.FirstEvents(), noDeadline, t0.Add(120*time.Second))
	if age("0") != 0 || age("1") != 0 {
		t.Fatalf("stale seconds %v, %v after the update", age("0"), age("1"))
	}
	if n, sum := histogram(t, m.seconds); n != 1 || sum != 100 {
		t.Fatalf("event_to_update_seconds: %d observations summing %v, want b's 100", n, sum)
	}
	if n, sum := histogram(t, m.blocks); n != 1 || sum != 4 {
		t.Fatalf("event_to_update_blocks: %d observations summing %v, want b's 4", n, sum)
	}
}

// metricsPlanner is a planner on a clock the test sets, with operators registered and a head,
// driven as the loop drives it.
type metricsPlanner struct {
	*planner.Planner
	t   *testing.T
	now time.Time
}

func newMetricsPlanner(t *testing.T, t0 time.Time, ops ...common.Address) *metricsPlanner {
	p := &metricsPlanner{t: t, now: t0}
	p.Planner = planner.New(planner.Config{}, func() time.Time { return p.now })
	p.SetOperators(ops)
	p.AdvanceHead(1)
	return p
}

// event observes a SharesChanged of op at block, seen at at.
func (p *metricsPlanner) event(op common.Address, at time.Time, block uint64) {
	p.now = at
	p.Observe(watcher.Event{Kind: watcher.SharesChanged, Operator: op, Block: block})
}

// next returns the batch ready now.
func (p *metricsPlanner) next() planner.Batch {
	p.t.Helper()
	b, ok := p.Next()
	if !ok {
		p.t.Fatal("nothing ready")
	}
	return b
}

// settle takes b back with o at time at, its mined transactions at block, as Syncer.done does.
func (p *metricsPlanner) settle(m *metrics, b planner.Batch, o planner.Outcome, at time.Time, block uint64) {
	p.now = at
	m.latency(o.Stored, p.FirstEvents(), at, block)
	p.Done(b, o)
}

// histogram returns h's sample count and sum.
func histogram(t *testing.T, h prometheus.Histogram) (uint64, float64) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
		t.Fatalf("gather histogram: %v (%d families)", err, len(mfs))
	}
	out := mfs[0].GetMetric()[0].GetHistogram()
	return out.GetSampleCount(), out.GetSampleSum()
}

// sweep_interval_seconds exports --sync-interval from the first scrape, 0 when scheduled sweeps
// are off, so that a rule can tell an overdue sweep from sweeps turned off.
func TestSweepIntervalExported(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		want     string
	}{{24 * time.Hour, "86400"}, {90 * time.Second, "90"}, {0, "0"}} {
		reg := prometheus.NewRegistry()
		newTestSyncer(t, Config{Planner: planner.Config{SyncInterval: tc.interval}}, nil, nil, nil, slog.New(slog.DiscardHandler), reg, nil)
		want := "# HELP avssync_sweep_interval_seconds Seconds between scheduled full sweeps (--sync-interval); 0 when scheduled sweeps are off.\n" +
			"# TYPE avssync_sweep_interval_seconds gauge\navssync_sweep_interval_seconds " + tc.want + "\n"
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "avssync_sweep_interval_seconds"); err != nil {
			t.Errorf("--sync-interval %v: %v", tc.interval, err)
		}
	}
}

// noDeadline is an AVS that accepts stale stakes.
func noDeadline(uint8) (uint64, bool) { return 0, false }

// stale_stakes_deadline_block follows the planner's deadline of each quorum in scope, 0 where the
// AVS accepts stale stakes, and drops a quorum gone.
func TestStaleStakesDeadlineBlock(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	m := newTestMetrics(t, nil)
	m.quorums([]uint8{0, 1})
	block := func(q string) float64 { return testutil.ToFloat64(m.deadlineBlock.WithLabelValues(q)) }
	if n := testutil.CollectAndCount(m.deadlineBlock); n != 2 {
		t.Fatalf("%d series before the first publish, want one per quorum in scope", n)
	}
	m.publish(nil, nil, noDeadline, t0)
	if block("0") != 0 || block("1") != 0 {
		t.Fatalf("deadline blocks %v, %v for an AVS that accepts stale stakes", block("0"), block("1"))
	}
	p := planner.New(planner.Config{StaleStakesForbidden: true, WithdrawalDelayBlocks: 100_800}, func() time.Time { return t0 })
	p.SetQuorumUpdateBlock(0, 1_000)
	p.SetQuorumUpdateBlock(1, 2_000)
	m.publish(nil, nil, p.StaleStakesDeadline, t0)
	if block("0") != 101_800 || block("1") != 102_800 {
		t.Fatalf("deadline blocks %v, %v; want each quorum's update block + 100800", block("0"), block("1"))
	}
	m.quorums([]uint8{1})
	if n := testutil.CollectAndCount(m.deadlineBlock); n != 1 {
		t.Fatalf("%d series after quorum 0 left the scope, want 1", n)
	}
}

// The bare command's schedule: next_sweep_timestamp_seconds exists from the first scrape, is the
// first sweep's time once Cron runs, stays there while sweeps fail, and moves on once one succeeds.
func TestCronNextSweep(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 1}, fails: 2}
	reg := prometheus.NewRegistry()
	const interval = 100 * time.Millisecond
	s := newTestSyncer(t, Config{Planner: planner.Config{SyncInterval: interval}, MaxBackoff: time.Millisecond}, c, c, c, slog.New(slog.DiscardHandler), reg, nil)
	if err := testutil.GatherAndCompare(reg, strings.NewReader("# HELP avssync_next_sweep_timestamp_seconds Unix time the next scheduled full sweep is due, kept at a due sweep's time until it has succeeded; 0 when none is scheduled.\n"+
		"# TYPE avssync_next_sweep_timestamp_seconds gauge\navssync_next_sweep_timestamp_seconds 0\n"), "avssync_next_sweep_timestamp_seconds"); err != nil {
		t.Fatalf("before the first sweep: %v", err)
	}
	next := func() float64 { return testutil.ToFloat64(s.metrics.nextSweep) }
	// Each Submit waits for the test: step lets the current one finish and holds the next.
	hold := make(chan struct{})
	c.inFlight = hold
	step := func() {
		c.mu.Lock()
		prev := hold
		hold = make(chan struct{})
		c.inFlight = hold
		c.mu.Unlock()
		close(prev)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- s.Cron(ctx) }()
	waitUntil(t, "first sweep", func() bool { return c.calls() == 1 })
	first := next()
	if due := time.Unix(0, int64(first*1e9)); due.Before(start.Add(-time.Second)) || due.After(time.Now()) {
		t.Fatalf("next sweep %v during the first sweep, want its start, about %v", due, start)
	}
	for n := 2; n <= 3; n++ { // two failed sweeps, one interval apart
		step()
		waitUntil(t, fmt.Sprintf("sweep %d", n), func() bool { return c.calls() == n })
		if got := next(); got != first {
			t.Fatalf("sweep %d, after %d failed: next sweep %v, want the first failed one's %v", n, n-1, got, first)
		}
	}
	step() // the third succeeds
	waitUntil(t, "next sweep after a success", func() bool { return next() > first })
	if got := next(); got < first+2*interval.Seconds() {
		t.Fatalf("next sweep %v after a success at the third slot, want a later slot than %v", got, first+2*interval.Seconds())
	}
	cancel()
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// The daemon's schedule: next_sweep_timestamp_seconds is the planner's, and a sweep held by fees
// above the cap keeps its time there while later slots pass, until it lands.
func TestWatchNextSweepHeldByFees(t *testing.T) {
	c := &chain{head: 10, stored: map[common.Address]int64{op: 1}, weight: map[common.Address]int64{op: 1}, capped: true}
	const interval = 100 * time.Millisecond
	s := newTestSyncer(t, Config{Planner: planner.Config{SyncInterval: interval}, MaxBackoff: time.Millisecond}, c, c, c, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
	next := func() float64 { return testutil.ToFloat64(s.metrics.nextSweep) }
	src := source{batches: make(chan watcher.Batch)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- s.Watch(ctx, src) }()
	waitUntil(t, "first sweep scheduled", func() bool { return next() > 0 })
	first := next()
	if due := time.Unix(0, int64(first*1e9)); due.Before(start.Add(interval)) || due.After(time.Now().Add(interval)) {
		t.Fatalf("next sweep %v, want one interval after the start, about %v", due, start.Add(interval))
	}
	head := c.head
	advance := func() {
		head++
		c.mu.Lock()
		c.head = head
		c.mu.Unlock()
		src.batches <- watcher.Batch{From: head, To: head, Head: head}
	}
	// Held by fees for three more slots, looked at again every few blocks.
	for time.Now().Before(time.Unix(0, int64(first*1e9)).Add(3*interval)) || c.calls() < 2 {
		advance()
		if got := next(); got != first {
			t.Fatalf("next sweep %v while the sweep due at %v waits for fees", got, first)
		}
	}
	c.mu.Lock()
	c.capped = false
	c.mu.Unlock()
	for i := 0; next() == first; i++ {
		if i == 10_000 {
			t.Fatal("next sweep unmoved 10000 blocks after fees fell")
		}
		advance()
	}
	if got := next(); got < first+interval.Seconds() {
		t.Fatalf("next sweep %v once the sweep landed, want a later slot than %v", got, first)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Operators that leave are forgotten: a deregistered one's pending change and stale quorums stop
// counting, and the membership of one a read finds unregistered is dropped, so neither the
// gauges nor the maps keep what left.
func TestMetricsForgetOperatorsThatLeave(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	m := newTestMetrics(t, nil)
	m.quorums([]uint8{0, 1})
	a, b := common.HexToAddress("0xa"), common.HexToAddress("0xb")
	p := newMetricsPlanner(t, t0, a, b)
	age := func(q string) float64 { return testutil.ToFloat64(m.staleSeconds.WithLabelValues(q)) }
	m.resolved(planner.Batch{Operators: []common.Address{a, b}},
		planner.Resolution{Membership: map[common.Address][]uint8{a: {0}, b: {0, 1}}}, p.FirstEvents(), t0)
	// a pending, b read stale in quorum 1.
	p.event(a, t0, 3)
	m.resolved(planner.Batch{Operators: []common.Address{b}},
		planner.Resolution{Stale: map[common.Address][]uint8{b: {1}}, Membership: map[common.Address][]uint8{b: {0, 1}}}, p.FirstEvents(), t0)
	m.publish(nil, p.FirstEvents(), noDeadline, t0.Add(time.Minute))
	if age("0") != 60 || age("1") != 60 {
		t.Fatalf("stale seconds %v, %v; want 60, 60", age("0"), age("1"))
	}
	for _, op := range []common.Address{a, b} {
		p.Observe(watcher.Event{Kind: watcher.OperatorDeregistered, Operator: op, Block: 4})
		m.left(op)
	}
	m.publish(nil, p.FirstEvents(), noDeadline, t0.Add(2*time.Minute))
	if age("0") != 0 || age("1") != 0 {
		t.Fatalf("stale seconds %v, %v after both left; want 0, 0", age("0"), age("1"))
	}
	if first := p.FirstEvents(); len(first) != 0 || len(m.membership) != 0 || len(m.staleSince[0])+len(m.staleSince[1]) != 0 {
		t.Fatalf("kept after leaving: first events %v, membership %v, stale %v", first, m.membership, m.staleSince)
	}
	// A read that finds an operator no longer registered drops its membership.
	m.resolved(planner.Batch{Operators: []common.Address{a}},
		planner.Resolution{Membership: map[common.Address][]uint8{a: {0}}}, nil, t0)
	m.resolved(planner.Batch{Operators: []common.Address{a}}, planner.Resolution{}, nil, t0)
	if _, kept := m.membership[a]; kept {
		t.Fatal("membership kept for an operator the read found unregistered")
	}
}
