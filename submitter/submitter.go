// Package submitter turns a planner.Plan into RegistryCoordinator transactions: updateOperators
// for a few stale operators, updateOperatorsForQuorum for whole quorums, each within a gas budget,
// sent one after the other through the SDK's transaction manager.
package submitter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
)

// ErrReverted: a stake update reverted, mined or in its gas estimate. The chain moved under the
// plan (most often a quorum's operator set changed): re-read the chain and plan again.
var ErrReverted = errors.New("stake update reverted")

// ErrTooLarge: a quorum's complete operator set, which cannot be split, needs more gas than one
// transaction may use.
var ErrTooLarge = errors.New("stake update larger than a transaction may be")

// ErrFeeAboveCap: the network's fees are above what the sender may pay (--max-fee-per-gas,
// --max-priority-fee-per-gas): nothing was sent, and the work waits until fees fall.
var ErrFeeAboveCap = errors.New("network fee above the configured cap")

// ErrOutOfFunds: the sender cannot pay for the transaction; the work waits until it is funded.
var ErrOutOfFunds = errors.New("sender out of funds")

// ErrRejected: the signing service (Fireblocks) rejected, blocked, cancelled or failed the
// transaction outside avs-sync; it will never be mined. It is the work's own failure: sending
// it again would be rejected again, so it counts toward setting the work aside.
var ErrRejected = errors.New("transaction rejected by the signing service")

// ErrOverBudget: the transaction's gas limit exceeds what remains of the daily gas budget
// (--max-gas-per-day); nothing was sent, and the work waits until the window frees enough.
var ErrOverBudget = errors.New("transaction gas above what remains of the daily gas budget")

// MaxTransactionGas is the most gas one transaction may use since Osaka (EIP-7825), whatever the
// block gas limit.
const MaxTransactionGas = 1 << 24

// Transaction kinds, as in Tx.Kind and the transactions_total metric.
const (
	KindUpdateOperators          = "updateOperators"
	KindUpdateOperatorsForQuorum = "updateOperatorsForQuorum"
)

const (
	// DefaultGasBudget is the default most gas one transaction may be estimated at.
	DefaultGasBudget = 10_000_000
	// DefaultTimeout is the default time one transaction may take to be mined.
	DefaultTimeout = 90 * time.Second
	// GasLimitMultiplier is the headroom the Sender adds to a gas estimate to get the
	// transaction's gas limit (gasLimit); a transaction fits in a block only if its estimate times
	// this does.
	GasLimitMultiplier = 1.2
)

// gasLimit is the gas limit of a transaction estimated at estimate: the one place the headroom is
// added, for the transaction itself and for the budget it is held to.
func gasLimit(estimate uint64) uint64 { return uint64(float64(estimate) * GasLimitMultiplier) }

// TxSender sends one request and waits until it is mined: NewTxManager's Sender, which owns
// nonce, fees, replacement and resubmission.
type TxSender interface {
	Send(ctx context.Context, req TxRequest) (*types.Receipt, error)
}

// Config tunes the submitter.
type Config struct {
	// GasBudget is the most gas one transaction may be estimated at (default DefaultGasBudget);
	// larger updates are split. The block gas limit caps it.
	GasBudget uint64
	// Timeout bounds each transaction from sending to receipt (default DefaultTimeout;
	// --writer-timeout-duration).
	Timeout time.Duration
	// MaxTxGas is the most gas one transaction may use (default MaxTransactionGas); a quorum
	// refresh over it fails with ErrTooLarge.
	MaxTxGas uint64
}

// Submitter builds and sends stake update transactions from one sender. Submit calls must not
// overlap: the sender's nonces are taken from the chain for each transaction.
type Submitter struct {
	cfg     Config
	client  *ethclient.Client
	txm     TxSender
	sender  common.Address
	c       registry.Contracts
	rcABI   *abi.ABI
	log     *slog.Logger
	metrics *metrics
	// budget, when set, reads what remains of the gas budget now (see SetBudget).
	budget func() (left uint64, limited bool)
}

// SetBudget makes Submit check each transaction against what remains of the gas budget when it
// is about to go, as well as against the plan's GasLeft: gas counted since the plan was made (a
// transaction of the key mined by another process) is then not spent twice.
func (s *Submitter) SetBudget(left func() (uint64, bool)) { s.budget = left }

// Tx is one transaction the submitter sends or would send.
type Tx struct {
	// Kind is KindUpdateOperators or KindUpdateOperatorsForQuorum.
	Kind string
	// Operators are the operators updated: the chunk for updateOperators, every quorum's set
	// concatenated (in Quorums order) for updateOperatorsForQuorum.
	Operators []common.Address
	// Quorums are the quorums refreshed whole (updateOperatorsForQuorum only), and
	// OperatorsPerQuorum their complete operator sets.
	Quorums            []uint8
	OperatorsPerQuorum [][]common.Address
	// Data is the calldata to the registry coordinator.
	Data []byte
	// GasEstimate is eth_estimateGas from the sender at build time.
	GasEstimate uint64
}

// GasLimit is the gas limit the transaction is sent with at its estimate, and held to in the
// daily budget.
func (tx Tx) GasLimit() uint64 { return gasLimit(tx.GasEstimate) }

// Result is what became of each transaction of a plan.
type Result struct {
	// Txs are the plan's transactions in the order they were built and sent: mined, reverted and
	// not sent alike. Together they carry every operator and quorum of the plan.
	Txs []TxResult
}

// GasUsed is the gas all the mined transactions used, reverted ones included.
func (r Result) GasUsed() uint64 {
	var g uint64
	for _, t := range r.Txs {
		g += t.GasUsed
	}
	return g
}

// Parts are the plan's transactions as the planner takes them back: what each carried and whose
// fault it is that it did not land.
func (r Result) Parts() []planner.Part {
	parts := make([]planner.Part, 0, len(r.Txs))
	for _, t := range r.Txs {
		parts = append(parts, planner.Part{Operators: t.Tx.Operators, Quorums: t.Tx.Quorums, Fault: t.Fault()})
	}
	return parts
}

// Mined returns the transactions mined successfully.
func (r Result) Mined() []TxResult {
	var out []TxResult
	for _, t := range r.Txs {
		if t.Outcome == Mined {
			out = append(out, t)
		}
	}
	return out
}

// Outcome is what one transaction of a plan did.
type Outcome int

const (
	// Mined: mined successfully; its operators and quorums are stored. The zero value, so a
	// TxResult built from a receipt alone reads as mined.
	Mined Outcome = iota
	// NotSent: the transaction was not broadcast, or not mined within the timeout (Err says why):
	// its work did not land and costs nothing.
	NotSent
	// Reverted: mined and reverted (gas paid), or its gas estimate reverted (nothing paid).
	Reverted
)

func (o Outcome) String() string {
	switch o {
	case Mined:
		return "mined"
	case Reverted:
		return "reverted"
	}
	return "not sent"
}

// TxResult is what one transaction did.
type TxResult struct {
	// Tx is the transaction: its kind and the operators and quorums it carried. A part that could
	// not be built has no Data nor GasEstimate.
	Tx Tx
	// Outcome is Mined, Reverted or NotSent; Err says why it is not Mined.
	Outcome Outcome
	Err     error
	// Hash, GasUsed, Block, Status and Receipt are set once the transaction was mined.
	Hash    common.Hash
	GasUsed uint64
	Block   uint64
	// Status is the receipt status: types.ReceiptStatusSuccessful or types.ReceiptStatusFailed.
	Status uint64
	// Receipt is the full receipt, logs included.
	Receipt *types.Receipt
}

// Fault says whose doing it is that the transaction did not land: the one place the submitter's
// errors are judged. Its own (ErrReverted, ErrTooLarge, ErrRejected); fees or funds
// (ErrFeeAboveCap, ErrOutOfFunds); the budget (ErrOverBudget); shutdown (context.Canceled); any
// other is the node's: refused, dropped, not mined in time, another process's transactions.
func (t TxResult) Fault() planner.Fault {
	err := t.Err
	switch {
	case t.Outcome == Mined:
		return planner.FaultNone
	case errors.Is(err, ErrReverted), errors.Is(err, ErrTooLarge), errors.Is(err, ErrRejected):
		return planner.FaultOwn
	case errors.Is(err, ErrFeeAboveCap), errors.Is(err, ErrOutOfFunds):
		return planner.FaultFees
	case errors.Is(err, ErrOverBudget):
		return planner.FaultBudget
	case errors.Is(err, context.Canceled):
		return planner.FaultStopped
	}
	return planner.FaultNode
}

// New returns a submitter sending through txm from sender to the registry coordinator of c.
// Metrics are registered on reg (nil: none); log nil discards.
func New(cfg Config, client *ethclient.Client, txm TxSender, sender common.Address, c registry.Contracts, log *slog.Logger, reg prometheus.Registerer) (*Submitter, error) {
	if cfg.GasBudget == 0 {
		cfg.GasBudget = DefaultGasBudget
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxTxGas == 0 {
		cfg.MaxTxGas = MaxTransactionGas
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c.UpdateTarget() == (common.Address{}) {
		return nil, errors.New("submitter: registry coordinator address not set")
	}
	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		return nil, fmt.Errorf("registry coordinator ABI: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &Submitter{
		cfg: cfg, client: client, txm: txm, sender: sender, c: c,
		rcABI: rcABI, log: log, metrics: m,
	}, nil
}

// Submit builds the plan's transactions and sends them one by one, quorum refreshes first (an
// updateOperators that drops an operator below a minimum would change a quorum's set and revert
// its refresh). The parts are independent: one that fails (reverts, too large, not mined) does not
// stop the others. Fees above the cap, a sender out of funds or the end of ctx stop the sending,
// since nothing after could go either. Result reports every part; the error joins the parts'
// errors (ErrReverted, ErrTooLarge, ErrFeeAboveCap, ErrOutOfFunds wrapped), nil when all were
// mined. When not even the parts could be built (the chain head could not be read), Result is
// empty and the error says why.
func (s *Submitter) Submit(ctx context.Context, plan planner.Plan) (Result, error) {
	var res Result
	if plan.Empty() {
		return res, nil
	}
	parts, err := s.build(ctx, plan)
	if err != nil {
		// Nothing was built, so nothing is reported part by part: the plan failed as a whole.
		for _, tx := range planTxs(plan) {
			s.metrics.attempt(tx, statusError)
		}
		return res, err
	}
	var errs []error
	var stop error
	budgeted := plan.GasLimited && plan.Reason != planner.ReasonDeadline && !plan.ChurnLine
	left := plan.GasLeft
	for _, p := range parts {
		tr := TxResult{Tx: p.tx, Outcome: NotSent, Err: p.err}
		limit := p.tx.GasLimit()
		if s.budget != nil && p.err == nil && stop == nil && plan.Reason != planner.ReasonDeadline && !plan.ChurnLine {
			if now, limited := s.budget(); limited {
				left = min(left, now)
				if !budgeted {
					budgeted, left = true, now
				}
			}
		}
		switch {
		case stop != nil:
			tr.Err = stop
		case p.err == nil && budgeted && limit > left:
			tr.Err = fmt.Errorf("%s of %d operators (quorums %v) may use %d gas, %d left of the daily budget: %w",
				p.tx.Kind, len(p.tx.Operators), quorumInts(p.tx.Quorums), limit, left, ErrOverBudget)
			s.log.Warn("stake update held back: the daily gas budget cannot cover it", "kind", p.tx.Kind,
				"operators", len(p.tx.Operators), "quorums", quorumInts(p.tx.Quorums), "gas_limit", limit, "gas_left", left, "reason", plan.Reason)
		case p.err != nil:
			if errors.Is(p.err, ErrReverted) {
				tr.Outcome = Reverted
				s.metrics.txReverted.Inc()
			}
			s.metrics.attempt(p.tx, statusError)
			s.log.Warn("stake update not sent", "kind", p.tx.Kind, "operators", len(p.tx.Operators),
				"quorums", quorumInts(p.tx.Quorums), "reason", plan.Reason, "err", p.err)
		default:
			tr = s.send(ctx, p.tx, plan.Reason)
			spent := tr.GasUsed
			if tr.Outcome == NotSent {
				// Not mined within the timeout, it may still be: what it may use counts.
				spent = limit
			}
			left -= min(left, spent)
			if tr.Err != nil && !errors.Is(tr.Err, ErrReverted) && waitsForAll(ctx, tr.Err) {
				stop = tr.Err
			}
		}
		if tr.Err != nil {
			errs = append(errs, tr.Err)
		}
		res.Txs = append(res.Txs, tr)
	}
	return res, errors.Join(errs...)
}

// waitsForAll reports a failure that no later transaction would escape: fees above the cap, no
// funds, the caller gave up, or another process's transactions from the key (what they did is
// read from the chain before anything more is sent).
func waitsForAll(ctx context.Context, err error) bool {
	return errors.Is(err, ErrFeeAboveCap) || errors.Is(err, ErrOutOfFunds) || errors.Is(err, ErrForeignTransaction) || ctx.Err() != nil
}

// send sends one transaction and waits for its receipt, within the per-transaction timeout.
func (s *Submitter) send(ctx context.Context, tx Tx, reason planner.Reason) TxResult {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	began := time.Now()
	receipt, err := s.sendTx(ctx, tx)
	if err != nil {
		tr := TxResult{Tx: tx, Outcome: NotSent, Err: err}
		status := statusError
		if errors.Is(err, ErrReverted) {
			tr.Outcome = Reverted
			status = statusReverted
			s.metrics.txReverted.Inc()
		}
		s.metrics.attempt(tx, statusError)
		s.metrics.transactions.WithLabelValues(tx.Kind, status).Inc()
		return tr
	}

	tr := TxResult{Tx: tx, Outcome: Mined, Hash: receipt.TxHash, GasUsed: receipt.GasUsed, Status: receipt.Status, Receipt: receipt}
	if receipt.BlockNumber != nil {
		tr.Block = receipt.BlockNumber.Uint64()
	}
	s.metrics.gasUsed.Add(float64(receipt.GasUsed))
	if tx.GasEstimate > 0 {
		s.metrics.estimateRatio.WithLabelValues(tx.Kind).Observe(float64(receipt.GasUsed) / float64(tx.GasEstimate))
	}
	status := statusSucceed
	if receipt.Status != types.ReceiptStatusSuccessful {
		status = statusReverted
	}
	s.log.Info("stake update mined", "kind", tx.Kind, "operators", len(tx.Operators), "quorums", quorumInts(tx.Quorums),
		"hash", receipt.TxHash, "gas_used", receipt.GasUsed, "gas_estimate", tx.GasEstimate, "used_over_estimate", usedOverEstimate(receipt.GasUsed, tx.GasEstimate), "block", tr.Block,
		"status", status, "reason", reason, "took", time.Since(began).Round(time.Millisecond))
	s.metrics.transactions.WithLabelValues(tx.Kind, status).Inc()
	if receipt.Status != types.ReceiptStatusSuccessful {
		s.metrics.txReverted.Inc()
		s.metrics.attempt(tx, statusError)
		tr.Outcome = Reverted
		tr.Err = fmt.Errorf("%s of %d operators (quorums %v) in tx %s at block %d: %w",
			tx.Kind, len(tx.Operators), quorumInts(tx.Quorums), receipt.TxHash, tr.Block, ErrReverted)
		return tr
	}
	s.metrics.attempt(tx, statusSucceed)
	s.metrics.updated(tx)
	return tr
}

// sendTx hands the transaction to the Sender, which prices, sends and re-prices it, and waits
// for the receipt.
func (s *Submitter) sendTx(ctx context.Context, tx Tx) (*types.Receipt, error) {
	receipt, err := s.txm.Send(ctx, TxRequest{To: s.c.UpdateTarget(), Data: tx.Data, GasEstimate: tx.GasEstimate})
	if err != nil {
		if registry.IsRevert(err) {
			return nil, fmt.Errorf("send %s of %d operators (quorums %v): %w: %w", tx.Kind, len(tx.Operators), tx.Quorums, ErrReverted, err)
		}
		return nil, fmt.Errorf("send %s of %d operators (quorums %v): %w", tx.Kind, len(tx.Operators), tx.Quorums, err)
	}
	if receipt == nil {
		return nil, fmt.Errorf("send %s of %d operators (quorums %v): no receipt", tx.Kind, len(tx.Operators), tx.Quorums)
	}
	return receipt, nil
}

// quorumInts lists quorums as numbers for logs (slog prints a []uint8 as a string).
func quorumInts(qs []uint8) []int {
	out := make([]int, len(qs))
	for i, q := range qs {
		out[i] = int(q)
	}
	return out
}

// planTxs describes a plan as unbuilt transactions, for counting a failure to build it.
func planTxs(plan planner.Plan) []Tx {
	var txs []Tx
	if len(plan.Quorums) > 0 {
		tx := Tx{Kind: KindUpdateOperatorsForQuorum}
		for _, q := range plan.Quorums {
			tx.Quorums = append(tx.Quorums, q.Quorum)
		}
		txs = append(txs, tx)
	}
	if len(plan.Operators) > 0 {
		txs = append(txs, Tx{Kind: KindUpdateOperators, Operators: plan.Operators})
	}
	return txs
}

// usedOverEstimate is gas used over the estimate, rounded for logs; 0 without an estimate.
func usedOverEstimate(used, estimate uint64) float64 {
	if estimate == 0 {
		return 0
	}
	return math.Round(1000*float64(used)/float64(estimate)) / 1000
}
