package syncer

import (
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/planner"
)

// Latency is the delay from the first event that made an operator stale to the block and time its
// stored stake was updated.
type Latency struct {
	Operator common.Address
	Blocks   uint64
	Seconds  float64
}

// metrics are the loop's own measurements. With a nil registerer they are still kept (the
// latency samples serve benchmarks) but not exported.
type metrics struct {
	dirty     prometheus.Gauge
	noops     prometheus.Counter
	notOurs   prometheus.Counter
	lastSweep prometheus.Gauge
	seconds   prometheus.Histogram
	blocks    prometheus.Histogram

	mu sync.Mutex
	// pending holds, per operator with an event not yet reflected in its stored stake, the time and
	// block of the first such event.
	pending map[common.Address]seen
	samples []Latency
}

type seen struct {
	at    time.Time
	block uint64
}

const maxSamples = 100_000

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		dirty: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "dirty_operators",
			Help: "Operators waiting for a stake update."}),
		noops: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "avssync", Name: "noops_skipped_total",
			Help: "Candidate operators whose stored stake already equalled their weight, so no update was sent."}),
		notOurs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "avssync", Name: "events_ignored_total",
			Help: "Events about operators not registered with the AVS."}),
		lastSweep: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "avssync", Name: "last_sweep_timestamp_seconds",
			Help: "Unix time of the last successful full sweep."}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "avssync", Name: "event_to_update_seconds",
			Help: "Seconds from the first event that made an operator stale to its stake update.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		blocks: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "avssync", Name: "event_to_update_blocks",
			Help: "Blocks from the first event that made an operator stale to its stake update.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		pending: make(map[common.Address]seen),
	}
	if reg != nil {
		reg.MustRegister(m.dirty, m.noops, m.notOurs, m.lastSweep, m.seconds, m.blocks)
	}
	return m
}

// firstSeen records an event for op unless one is already pending.
func (m *metrics) firstSeen(op common.Address, at time.Time, block uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.pending[op]; !ok {
		m.pending[op] = seen{at, block}
	}
}

// forget drops op's pending event: it turned out to be a no-op.
func (m *metrics) forget(op common.Address) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending, op)
}

// updated observes the latency of every operator covered by plan; batchOps were checked and
// found clean unless in the plan.
func (m *metrics) updated(plan planner.Plan, batchOps []common.Address, at time.Time, block uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	observe := func(op common.Address) {
		s, ok := m.pending[op]
		if !ok {
			return
		}
		delete(m.pending, op)
		l := Latency{Operator: op, Seconds: at.Sub(s.at).Seconds()}
		if block > s.block {
			l.Blocks = block - s.block
		}
		m.seconds.Observe(l.Seconds)
		m.blocks.Observe(float64(l.Blocks))
		if len(m.samples) < maxSamples {
			m.samples = append(m.samples, l)
		}
	}
	for _, op := range plan.Operators {
		observe(op)
	}
	for _, q := range plan.Quorums {
		for _, op := range q.Operators {
			observe(op)
		}
	}
	for _, op := range batchOps {
		delete(m.pending, op)
	}
}

// Latencies returns the event-to-update latencies observed so far.
func (s *Syncer) Latencies() []Latency {
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	return append([]Latency(nil), s.metrics.samples...)
}
