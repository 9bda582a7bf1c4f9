package submitter

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/metricsreg"
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
	// estimateRatio is gas used over the node's estimate per mined transaction, by kind: how well
	// estimates (and the cost model fitted from them) predict what a shape costs.
	estimateRatio *prometheus.HistogramVec
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
		estimateRatio: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace,
			Name:      "gas_estimate_ratio",
			Help:      "Gas used over the node's gas estimate of each mined stake update transaction, by kind (updateOperators, updateOperatorsForQuorum).",
			Buckets:   []float64{0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 1, 1.02, 1.05, 1.1, 1.2},
		}, []string{"kind"}),
	}
	// Every kind and status from the first scrape, so failure ratios and alerts see 0 rather
	// than nothing.
	for _, kind := range []string{KindUpdateOperators, KindUpdateOperatorsForQuorum} {
		for _, status := range []string{statusSucceed, statusReverted, statusError} {
			m.transactions.WithLabelValues(kind, status)
		}
		m.estimateRatio.WithLabelValues(kind)
	}
	if err := metricsreg.All(reg, "submitter", m.updateStakeAttempt, m.txReverted, m.operatorsUpdated, m.transactions, m.gasUsed, m.estimateRatio); err != nil {
		return nil, err
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

// senderMetrics are the Sender's collectors: fees, caps, replacements, send errors, balance.
type senderMetrics struct {
	feeCapBlocked prometheus.Gauge
	baseFee       prometheus.Gauge
	maxFee        prometheus.Gauge
	maxTip        prometheus.Gauge
	balance       prometheus.Gauge
	balanceLow    prometheus.Gauge
	outOfFunds    prometheus.Gauge
	feesPaid      prometheus.Counter
	replacements  prometheus.Counter
	sendErrors    *prometheus.CounterVec
	gasEstimated  prometheus.Counter
	foreignTxs    prometheus.Counter
}

// newSenderMetrics builds the Sender's collectors and registers them on reg; nil registers none.
func newSenderMetrics(reg prometheus.Registerer) (*senderMetrics, error) {
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: metricsNamespace, Name: name, Help: help})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: metricsNamespace, Name: name, Help: help})
	}
	m := &senderMetrics{
		feeCapBlocked: gauge("fee_cap_blocked", "1 while the base fee plus the minimum tip is above --max-fee-per-gas: nothing is sent, updates wait."),
		baseFee:       gauge("base_fee_gwei", "Base fee of the latest block, in gwei, as last read before a send."),
		maxFee:        gauge("max_fee_per_gas_gwei", "The fee cap no transaction exceeds (--max-fee-per-gas), in gwei."),
		maxTip:        gauge("max_priority_fee_per_gas_gwei", "The tip no transaction exceeds (--max-priority-fee-per-gas), in gwei."),
		balance:       gauge("sender_balance_eth", "ETH held by the sender, read every few blocks and after each transaction."),
		balanceLow:    gauge("sender_balance_low", "1 while the sender holds less than --low-balance."),
		outOfFunds:    gauge("out_of_funds", "1 while the sender cannot pay for the next transaction: updates wait for funds."),
		feesPaid:      counter("fees_paid_eth_total", "ETH paid in fees by mined transactions (effective gas price times gas used)."),
		replacements:  counter("tx_replacements_total", "Transactions broadcast to replace a pending one at the same nonce, at higher fees."),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "send_errors_total",
			Help: "Sends refused, by kind: underpriced, nonce_too_low, already_known, insufficient_funds, fee_cap (above the cap, not sent), other.",
		}, []string{"kind"}),
		gasEstimated: counter("gas_estimated_total", "Gas estimated for mined stake update transactions (compare with gas_used_total)."),
		foreignTxs:   counter("foreign_transactions_total", "Transactions of the sender's address this process did not make, mined while it ran: another process or wallet uses the key (local signer only)."),
	}
	for _, k := range sendErrorKinds {
		m.sendErrors.WithLabelValues(k)
	}
	if err := metricsreg.All(reg, "sender", m.feeCapBlocked, m.baseFee, m.maxFee, m.maxTip, m.balance, m.balanceLow,
		m.outOfFunds, m.feesPaid, m.replacements, m.sendErrors, m.gasEstimated, m.foreignTxs); err != nil {
		return nil, err
	}
	return m, nil
}
