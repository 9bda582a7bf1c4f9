package submitter

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

const metricsNamespace = "avssync"

// Label values kept from the original tool: update_stake_attempt's status is "succeed" or "error",
// and its quorum is "" for updateOperators (every quorum of the listed operators).
const (
	statusSucceed  = "succeed"
	statusError    = "error"
	statusReverted = "reverted"
	allQuorums     = ""
)

// metrics are the submitter's Prometheus collectors.
type metrics struct {
	updateStakeAttempt *prometheus.CounterVec
	txReverted         prometheus.Counter
	operatorsUpdated   *prometheus.GaugeVec
	transactions       *prometheus.CounterVec
	gasUsed            prometheus.Counter
}

// newMetrics builds the collectors and registers them on reg; a nil reg registers nothing.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		updateStakeAttempt: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace,
			Name:      "update_stake_attempt",
			Help:      "Stake update transactions by outcome (succeed, or error: reverted or not mined) and quorum (empty for updateOperators).",
		}, []string{"status", "quorum"}),
		txReverted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace,
			Name:      "tx_reverted_total",
			Help:      "Stake update transactions mined but reverted, or whose gas estimate reverted.",
		}),
		operatorsUpdated: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace,
			Name:      "operators_updated",
			Help:      "Operators updated by the last transaction, by quorum (empty for updateOperators); a gauge, as in the original avs-sync.",
		}, []string{"quorum"}),
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace,
			Name:      "transactions_total",
			Help:      "Stake update transactions by kind (updateOperators, updateOperatorsForQuorum) and status (succeed, reverted, error).",
		}, []string{"kind", "status"}),
		gasUsed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace,
			Name:      "gas_used_total",
			Help:      "Gas used by mined stake update transactions, reverted ones included.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.updateStakeAttempt, m.txReverted, m.operatorsUpdated, m.transactions, m.gasUsed} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register submitter metrics: %w", err)
		}
	}
	return m, nil
}

// attempt counts one transaction's outcome in update_stake_attempt, once per quorum it covers.
func (m *metrics) attempt(tx Tx, status string) {
	for _, q := range quorumLabels(tx) {
		m.updateStakeAttempt.WithLabelValues(status, q).Inc()
	}
}

// updated counts the operators a successful transaction updated.
func (m *metrics) updated(tx Tx) {
	if tx.Kind == KindUpdateOperators {
		m.operatorsUpdated.WithLabelValues(allQuorums).Set(float64(len(tx.Operators)))
		return
	}
	for i, q := range tx.Quorums {
		m.operatorsUpdated.WithLabelValues(strconv.Itoa(int(q))).Set(float64(len(tx.OperatorsPerQuorum[i])))
	}
}

func quorumLabels(tx Tx) []string {
	if tx.Kind == KindUpdateOperators {
		return []string{allQuorums}
	}
	out := make([]string, len(tx.Quorums))
	for i, q := range tx.Quorums {
		out[i] = strconv.Itoa(int(q))
	}
	return out
}
