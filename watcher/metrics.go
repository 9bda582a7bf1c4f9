package watcher

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/metricsreg"
)

// metrics are the watcher's series. A nil *metrics records nothing, so a watcher built without a
// registerer pays nothing for them.
type metrics struct {
	events     *prometheus.CounterVec
	reconnects prometheus.Counter
	behind     prometheus.Gauge
	last       prometheus.Gauge
	headBlock  prometheus.Gauge
	headAge    prometheus.GaugeFunc
	ws         prometheus.Gauge
	rangeSize  prometheus.Gauge
	shrinks    prometheus.Counter
	checkpoint prometheus.Counter
	missed     prometheus.Counter
}

// newMetrics registers the watcher's series on reg, or returns nil when reg is nil. Series already
// registered (a second watcher on the same registry) are shared, not an error. headAge is read at
// each scrape.
func newMetrics(reg prometheus.Registerer, headAge func() float64) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "avssync", Name: "events_total",
			Help: "Events emitted by the watcher, by kind (removed ones included).",
		}, []string{"kind"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "avssync", Name: "ws_reconnects_total",
			Help: "Websocket subscriptions re-established after a drop or failure.",
		}),
		behind: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "avssync", Name: "blocks_behind_head",
			Help: "Chain head minus the last block whose events were emitted.",
		}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "avssync", Name: "last_processed_block",
			Help: "Last block whose events were emitted.",
		}),
		headBlock: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "avssync", Name: "head_block",
			Help: "Newest chain head seen.",
		}),
		headAge: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "avssync", Name: "head_age_seconds",
			Help: "Seconds since the node's head last advanced (0 before the first head).",
		}, headAge),
		ws: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "avssync", Name: "ws_connected",
			Help: "1 while the websocket subscription is live, 0 otherwise (polling).",
		}),
		rangeSize: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "avssync", Name: "log_range_blocks",
			Help: "Blocks one eth_getLogs covers now: --max-log-range, halved while the node refuses larger ranges.",
		}),
		shrinks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "avssync", Name: "log_range_shrinks_total",
			Help: "eth_getLogs ranges the node refused as too large, each halving the range.",
		}),
		checkpoint: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "avssync", Name: "checkpoint_errors_total",
			Help: "Checkpoints that could not be read (corrupt, unreadable) or written; each is a warning, the checkpoint being optional.",
		}),
		missed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "avssync", Name: "subscription_missed_logs_total",
			Help: "Logs of the watched contracts the websocket log subscription never delivered, found by the periodic eth_getLogs verification and emitted late.",
		}),
	}
	var err error
	m.events, err = metricsreg.Register(reg, m.events)
	if err != nil {
		return nil, err
	}
	// Every kind from the first scrape, so rates and alerts see 0 rather than nothing.
	for _, name := range kindNames {
		m.events.WithLabelValues(name)
	}
	if m.reconnects, err = metricsreg.Register(reg, m.reconnects); err != nil {
		return nil, err
	}
	if m.behind, err = metricsreg.Register(reg, m.behind); err != nil {
		return nil, err
	}
	if m.last, err = metricsreg.Register(reg, m.last); err != nil {
		return nil, err
	}
	if m.headBlock, err = metricsreg.Register(reg, m.headBlock); err != nil {
		return nil, err
	}
	if m.headAge, err = metricsreg.Register(reg, m.headAge); err != nil {
		return nil, err
	}
	if m.ws, err = metricsreg.Register(reg, m.ws); err != nil {
		return nil, err
	}
	if m.rangeSize, err = metricsreg.Register(reg, m.rangeSize); err != nil {
		return nil, err
	}
	if m.shrinks, err = metricsreg.Register(reg, m.shrinks); err != nil {
		return nil, err
	}
	if m.checkpoint, err = metricsreg.Register(reg, m.checkpoint); err != nil {
		return nil, err
	}
	if m.missed, err = metricsreg.Register(reg, m.missed); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) head(n uint64) {
	if m != nil {
		m.headBlock.Set(float64(n))
	}
}

func (m *metrics) checkpointError() {
	if m != nil {
		m.checkpoint.Inc()
	}
}

func (m *metrics) missedLogs(n int) {
	if m != nil {
		m.missed.Add(float64(n))
	}
}

func (m *metrics) wsConnected(up bool) {
	if m == nil {
		return
	}
	if up {
		m.ws.Set(1)
	} else {
		m.ws.Set(0)
	}
}

func (m *metrics) logRange(blocks uint64, shrunk bool) {
	if m == nil {
		return
	}
	m.rangeSize.Set(float64(blocks))
	if shrunk {
		m.shrinks.Inc()
	}
}

func (m *metrics) event(k Kind) {
	if m != nil {
		m.events.WithLabelValues(k.String()).Inc()
	}
}

func (m *metrics) reconnect() {
	if m != nil {
		m.reconnects.Inc()
	}
}

func (m *metrics) progress(last, head uint64) {
	if m == nil {
		return
	}
	m.last.Set(float64(last))
	behind := uint64(0)
	if head > last {
		behind = head - last
	}
	m.behind.Set(float64(behind))
}
