package watcher

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the watcher's series. A nil *metrics records nothing, so a watcher built without a
// registerer pays nothing for them.
type metrics struct {
	events     *prometheus.CounterVec
	reconnects prometheus.Counter
	behind     prometheus.Gauge
	last       prometheus.Gauge
}

// newMetrics registers the watcher's series on reg, or returns nil when reg is nil. Series already
// registered (a second watcher on the same registry) are shared, not an error.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
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
	}
	var err error
	m.events, err = register(reg, m.events)
	if err != nil {
		return nil, err
	}
	if m.reconnects, err = register(reg, m.reconnects); err != nil {
		return nil, err
	}
	if m.behind, err = register(reg, m.behind); err != nil {
		return nil, err
	}
	if m.last, err = register(reg, m.last); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
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
