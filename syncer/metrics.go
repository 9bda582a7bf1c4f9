package syncer

import (
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/metricsreg"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
)

// Latency is the delay from the first event that made an operator stale to the block and time its
// stored stake was updated.
type Latency struct {
	Operator common.Address
	Blocks   uint64
	Seconds  float64
}

// metrics are the loop's own measurements. With a nil registerer they are still kept but not
// exported.
type metrics struct {
	dirty      prometheus.Gauge
	processing prometheus.Gauge
	noops      prometheus.Counter
	notOurs    prometheus.Counter
	lastSweep  prometheus.Gauge
	// sweepInterval is --sync-interval and nextSweep when the next scheduled sweep is due (0:
	// none), so that rules can tell an overdue sweep.
	sweepInterval prometheus.Gauge
	nextSweep     prometheus.Gauge
	seconds       prometheus.Histogram
	blocks        prometheus.Histogram
	// consecutiveFailures counts batches in a row with a part that failed; lastUpdate is when a
	// stake update was last mined.
	consecutiveFailures prometheus.Gauge
	lastUpdate          prometheus.Gauge
	// heldBack counts operators held back from updates, by planner.Held* reason.
	heldBack *prometheus.GaugeVec
	// staleSeconds is, per quorum in scope, the age of the oldest known weight change not stored.
	staleSeconds *prometheus.GaugeVec
	// deadlineBlock is, per quorum in scope, the block from which an AVS that forbids stale stakes
	// rejects them; 0 when it accepts them.
	deadlineBlock *prometheus.GaugeVec
	// forbidden is 1 while the AVS forbids stale stakes (the rule as last read), else 0.
	forbidden prometheus.Gauge
	// misattributed and misattributedLargest are, per quorum in scope, the share of its total
	// stored stake attributed to the wrong operators, and the largest single operator's part.
	misattributed, misattributedLargest *prometheus.GaugeVec
	// heldOperator names each operator held back, with its reason (1 while held).
	heldOperator *prometheus.GaugeVec

	mu sync.Mutex
	// failuresInARow backs consecutiveFailures.
	failuresInARow int
	// feeCapHeld is the number of operators waiting for fees, set by held.
	feeCapHeld int
	// staleSince holds, per quorum, the stale operators known from the last reads and since when
	// (their first event as the planner had it at the read, or when the read found them stale).
	// Events not read yet count from the planner's FirstEvents (publish).
	staleSince map[uint8]map[common.Address]time.Time
	// budgetHeld are the operators held_back names (those waiting for the budget).
	budgetHeld map[common.Address]bool
	// parts is, per quorum, each operator's misattributed part as last read (see
	// planner.Misattributed); fresh operators are not kept.
	parts map[uint8]map[common.Address]float64
	// membership is the quorums in scope each operator was last read registered in, so that an
	// event not resolved yet (debouncing, or held back by the budget) counts in its quorums.
	membership map[common.Address][]uint8
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		dirty: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "dirty_operators",
			Help: "Operators waiting for a stake update."}),
		processing: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "processing_operators",
			Help: "Operators in the update being read, sent or confirmed."}),
		noops: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "avssync", Name: "noops_skipped_total",
			Help: "Candidate operators whose stored stake already equalled their weight, so no update was sent."}),
		notOurs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "avssync", Name: "events_ignored_total",
			Help: "Events about operators not registered with the AVS."}),
		lastSweep: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "last_sweep_timestamp_seconds",
			Help: "Unix time of the last successful full sweep."}),
		sweepInterval: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "sweep_interval_seconds",
			Help: "Seconds between scheduled full sweeps (--sync-interval); 0 when scheduled sweeps are off."}),
		nextSweep: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "next_sweep_timestamp_seconds",
			Help: "Unix time the next scheduled full sweep is due, kept at a due sweep's time until it has succeeded; 0 when none is scheduled."}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "avssync", Name: "event_to_update_seconds",
			Help: "Seconds from the first event that made an operator stale to its stake update.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		blocks: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "avssync", Name: "event_to_update_blocks",
			Help: "Blocks from the first event that made an operator stale to its stake update.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		consecutiveFailures: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "consecutive_failures",
			Help: "Update batches in a row with a part that failed (reverted, too large, not mined) and none mined; 0 once one lands."}),
		lastUpdate: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "last_update_timestamp_seconds",
			Help: "Unix time of the last mined stake update transaction."}),
		heldBack: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "avssync", Name: "held_back_operators",
			Help: "Operators with a stale stake not being sent, by reason: immaterial (below --min-stake-change, left to the sweep), set_aside (failed --retry-sync-n-times times), budget (--max-gas-per-day spent), fee_cap (fees above the cap or no funds)."},
			[]string{"reason"}),
		staleSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "avssync", Name: "stale_seconds",
			Help: "Per quorum, seconds since the oldest known weight change not yet stored in it; 0 when none."},
			[]string{"quorum"}),
		deadlineBlock: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "avssync", Name: "stale_stakes_deadline_block",
			Help: "Per quorum, the block from which the AVS rejects its stored stakes as stale (last whole refresh + withdrawal delay); 0 when the AVS accepts stale stakes."},
			[]string{"quorum"}),
		forbidden: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "stale_stakes_forbidden",
			Help: "1 while the AVS's signature checkers forbid stale stakes (or one cannot be read, which counts as forbidding), as last read from the chain; 0 otherwise."}),
		misattributed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "avssync", Name: "misattributed_stake_ratio",
			Help: "Per quorum, the share of its total stored stake attributed to the wrong operators: the sum over its operators of |weight - stored| over the quorum's total stored stake, as last read (the audit sweep reads every operator; each update's read keeps it current)."},
			[]string{"quorum"}),
		misattributedLargest: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "avssync", Name: "misattributed_stake_largest_ratio",
			Help: "Per quorum, the largest single operator's part of misattributed_stake_ratio."},
			[]string{"quorum"}),
		heldOperator: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "avssync", Name: "held_back",
			Help: "1 for each operator with a stale stake waiting for the gas budget (reason budget): the changes worth the least stake per gas, while the budget binds."},
			[]string{"operator", "reason"}),
		parts:      make(map[uint8]map[common.Address]float64),
		staleSince: make(map[uint8]map[common.Address]time.Time),
		membership: make(map[common.Address][]uint8),
	}
	for _, r := range planner.HeldReasons {
		m.heldBack.WithLabelValues(r)
	}
	if err := metricsreg.All(reg, "update loop", m.dirty, m.processing, m.noops, m.notOurs, m.lastSweep, m.sweepInterval, m.nextSweep, m.seconds, m.blocks,
		m.consecutiveFailures, m.lastUpdate, m.heldBack, m.staleSeconds, m.deadlineBlock, m.forbidden,
		m.misattributed, m.misattributedLargest, m.heldOperator); err != nil {
		return nil, err
	}
	return m, nil
}

// quorums initialises stale_seconds of the quorums in scope at 0, and drops quorums gone.
func (m *metrics) quorums(qs []uint8) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := make(map[uint8]bool, len(qs))
	for _, q := range qs {
		keep[q] = true
		if _, ok := m.staleSince[q]; !ok {
			m.staleSince[q] = make(map[common.Address]time.Time)
		}
		m.staleSeconds.WithLabelValues(strconv.Itoa(int(q)))
		m.deadlineBlock.WithLabelValues(strconv.Itoa(int(q)))
		m.misattributed.WithLabelValues(strconv.Itoa(int(q)))
		m.misattributedLargest.WithLabelValues(strconv.Itoa(int(q)))
	}
	for q := range m.staleSince {
		if !keep[q] {
			delete(m.staleSince, q)
			m.staleSeconds.DeleteLabelValues(strconv.Itoa(int(q)))
			m.deadlineBlock.DeleteLabelValues(strconv.Itoa(int(q)))
			m.misattributed.DeleteLabelValues(strconv.Itoa(int(q)))
			m.misattributedLargest.DeleteLabelValues(strconv.Itoa(int(q)))
			delete(m.parts, q)
		}
	}
}

// resolved records what a read found stale and what it found fresh; first are the planner's
// FirstEvents as of the batch. Immaterial changes count as fresh: --min-stake-change leaves them
// to the sweep on purpose, and staleness is what alerts.
func (m *metrics) resolved(b planner.Batch, res planner.Resolution, first map[common.Address]planner.FirstEvent, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, op := range b.Operators {
		if _, stale := res.Stale[op]; !stale || slices.Contains(res.Immaterial, op) {
			for _, ops := range m.staleSince {
				delete(ops, op)
			}
		}
	}
	for _, op := range b.Operators {
		if _, registered := res.Membership[op]; !registered {
			delete(m.membership, op)
		}
	}
	for op, qs := range res.Membership {
		m.membership[op] = qs
	}
	for _, op := range b.Operators {
		if _, registered := res.Membership[op]; !registered {
			m.dropParts(op)
		}
	}
	for op, parts := range res.Misattributed {
		m.dropParts(op)
		for q, v := range parts {
			if v == 0 {
				continue
			}
			if m.parts[q] == nil {
				m.parts[q] = make(map[common.Address]float64)
			}
			m.parts[q][op] = v
		}
	}
	for op, qs := range res.Stale {
		if slices.Contains(res.Immaterial, op) {
			continue
		}
		since := now
		if e, ok := first[op]; ok {
			since = e.At
		}
		for _, q := range qs {
			ops, ok := m.staleSince[q]
			if !ok {
				continue // out of scope
			}
			if _, known := ops[op]; !known {
				ops[op] = since
			}
		}
	}
}

// settled records a batch's outcome.
func (m *metrics) settled(o outcome, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case o.mined > 0:
		m.failuresInARow = 0 // something landed: not failing in a row
	case o.res.Failed() || o.transient != nil:
		m.failuresInARow++
	case o.held == nil:
		m.failuresInARow = 0
	}
	m.consecutiveFailures.Set(float64(m.failuresInARow))
	if o.mined > 0 {
		m.lastUpdate.Set(float64(now.UnixNano()) / 1e9)
	}
}

// held sets how many operators wait for fees or funds.
func (m *metrics) held(reason string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if reason == planner.HeldFeeCap {
		m.feeCapHeld = n
	}
	m.heldBack.WithLabelValues(reason).Set(float64(n))
}

// sweepDue sets next_sweep_timestamp_seconds to at, or to 0 when at is zero: no sweep scheduled.
func (m *metrics) sweepDue(at time.Time) {
	if at.IsZero() {
		m.nextSweep.Set(0)
		return
	}
	m.nextSweep.Set(float64(at.UnixNano()) / 1e9)
}

// publish sets the gauges that follow the planner's state: operators held back by reason, and
// each quorum's staleness (from the reads and the planner's FirstEvents, first) and stale-stakes
// deadline.
func (m *metrics) publish(held map[common.Address]string, first map[common.Address]planner.FirstEvent, deadline func(uint8) (uint64, bool), now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publishMisattributed(slices.Collect(maps.Keys(m.staleSince)))
	counts := make(map[string]int)
	waiting := make(map[common.Address]bool)
	for op, r := range held {
		counts[r]++
		if r == planner.HeldBudget {
			waiting[op] = true
			if !m.budgetHeld[op] {
				m.heldOperator.WithLabelValues(op.Hex(), r).Set(1)
			}
		}
	}
	for op := range m.budgetHeld {
		if !waiting[op] {
			m.heldOperator.DeleteLabelValues(op.Hex(), planner.HeldBudget)
		}
	}
	m.budgetHeld = waiting
	for _, r := range planner.HeldReasons {
		if r != planner.HeldFeeCap {
			m.heldBack.WithLabelValues(r).Set(float64(counts[r]))
		}
	}
	ages := make(map[uint8]float64, len(m.staleSince))
	for q, ops := range m.staleSince {
		ages[q] = 0
		for _, t := range ops {
			ages[q] = max(ages[q], now.Sub(t).Seconds())
		}
	}
	// Events not resolved yet count in the quorums their operator was last read in.
	for op, e := range first {
		for _, q := range m.membership[op] {
			if age, ok := ages[q]; ok {
				ages[q] = max(age, now.Sub(e.At).Seconds())
			}
		}
	}
	for q, age := range ages {
		m.staleSeconds.WithLabelValues(strconv.Itoa(int(q))).Set(age)
	}
	for q := range m.staleSince {
		d, _ := deadline(q)
		m.deadlineBlock.WithLabelValues(strconv.Itoa(int(q))).Set(float64(d))
	}
}

// left forgets op, deregistered from the AVS: its stake is no longer stored, so nothing of it is
// stale (the planner forgets its first event).
func (m *metrics) left(op common.Address) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.membership, op)
	for _, ops := range m.staleSince {
		delete(ops, op)
	}
	m.dropParts(op)
}

// quorumsOf returns the quorums in scope op was last read registered in.
func (m *metrics) quorumsOf(op common.Address) []uint8 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.membership[op])
}

// dropParts forgets op's misattributed parts.
func (m *metrics) dropParts(op common.Address) {
	for _, ops := range m.parts {
		delete(ops, op)
	}
}

// publishMisattributed sets the misattributed gauges of the quorums in scope from the parts.
func (m *metrics) publishMisattributed(scope []uint8) {
	for _, q := range scope {
		var sum, largest float64
		for _, v := range m.parts[q] {
			sum += v
			largest = max(largest, v)
		}
		label := strconv.Itoa(int(q))
		m.misattributed.WithLabelValues(label).Set(sum)
		m.misattributedLargest.WithLabelValues(label).Set(largest)
	}
}

// updated records what the landed transactions stored: the operators of an updateOperators in
// every quorum, a refreshed quorum whole.
func (m *metrics) updated(landed []submitter.TxResult) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, tx := range landed {
		if tx.Tx.Kind == submitter.KindUpdateOperators {
			for _, op := range tx.Tx.Operators {
				m.dropParts(op)
				// updateOperators stores every quorum of the operator.
				for _, ops := range m.staleSince {
					delete(ops, op)
				}
			}
			continue
		}
		for _, q := range tx.Tx.Quorums {
			if ops, ok := m.staleSince[q]; ok {
				clear(ops)
			}
			delete(m.parts, q)
		}
	}
}

// latency observes, for each operator stored at block and time at with a first event (first: the
// planner's FirstEvents before it takes the batch back), the delay from that event; once per
// operator.
func (m *metrics) latency(stored []common.Address, first map[common.Address]planner.FirstEvent, at time.Time, block uint64) {
	seen := make(map[common.Address]bool, len(stored))
	for _, op := range stored {
		e, ok := first[op]
		if !ok || seen[op] {
			continue
		}
		seen[op] = true
		l := Latency{Operator: op, Seconds: at.Sub(e.At).Seconds()}
		if block > e.Block {
			l.Blocks = block - e.Block
		}
		m.seconds.Observe(l.Seconds)
		m.blocks.Observe(float64(l.Blocks))
	}
}

// staleStakesForbidden records the stale-stakes rule in force.
func (m *metrics) staleStakesForbidden(forbidden bool) {
	v := 0.0
	if forbidden {
		v = 1
	}
	m.forbidden.Set(v)
}
