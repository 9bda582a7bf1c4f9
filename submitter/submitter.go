// Package submitter turns a planner.Plan into RegistryCoordinator transactions: updateOperators
// for a few stale operators, updateOperatorsForQuorum for whole quorums, each within a gas budget,
// sent one after the other through the SDK's transaction manager.
package submitter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/Layr-Labs/eigensdk-go/chainio/txmgr"
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
	// GasLimitMultiplier is the headroom the transaction manager adds to a gas estimate to get the
	// transaction's gas limit (NewTxManager sets it); a transaction fits in a block only if its
	// estimate times this does.
	GasLimitMultiplier = 1.2
)

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
	txm     txmgr.TxManager
	sender  common.Address
	c       registry.Contracts
	chainID *big.Int
	rcABI   *abi.ABI
	log     *slog.Logger
	metrics *metrics
}

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

// Result is what Submit sent.
type Result struct {
	Txs []TxResult
}

// GasUsed is the gas all the transactions used.
func (r Result) GasUsed() uint64 {
	var g uint64
	for _, t := range r.Txs {
		g += t.GasUsed
	}
	return g
}

// TxResult is one mined transaction.
type TxResult struct {
	Tx      Tx
	Hash    common.Hash
	GasUsed uint64
	Block   uint64
	// Status is the receipt status: types.ReceiptStatusSuccessful or types.ReceiptStatusFailed.
	Status uint64
	// Receipt is the full receipt, logs included.
	Receipt *types.Receipt
}

// New returns a submitter sending through txm from sender to the registry coordinator of c.
// Metrics are registered on reg (nil: none); log nil discards.
func New(cfg Config, client *ethclient.Client, txm txmgr.TxManager, sender common.Address, c registry.Contracts, log *slog.Logger, reg prometheus.Registerer) (*Submitter, error) {
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
	if c.RegistryCoordinator == (common.Address{}) {
		return nil, errors.New("submitter: registry coordinator address not set")
	}
	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		return nil, fmt.Errorf("registry coordinator ABI: %w", err)
	}
	chainID := new(big.Int).SetUint64(c.ChainID)
	if c.ChainID == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if chainID, err = client.ChainID(ctx); err != nil {
			return nil, fmt.Errorf("read chain id: %w", err)
		}
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &Submitter{
		cfg: cfg, client: client, txm: txm, sender: sender, c: c, chainID: chainID,
		rcABI: rcABI, log: log, metrics: m,
	}, nil
}

// Submit builds the plan's transactions and sends them one by one, quorum refreshes first (an
// updateOperators that drops an operator below a minimum would change a quorum's set and revert
// its refresh). It stops at the first failure and returns what was mined so far with the error;
// a revert is ErrReverted-wrapped.
func (s *Submitter) Submit(ctx context.Context, plan planner.Plan) (Result, error) {
	var res Result
	if plan.Empty() {
		return res, nil
	}
	txs, err := s.Build(ctx, plan)
	if err != nil {
		if errors.Is(err, ErrReverted) {
			s.metrics.txReverted.Inc()
		}
		for _, tx := range planTxs(plan) {
			s.metrics.attempt(tx, statusError)
		}
		return res, err
	}
	for _, tx := range txs {
		tr, err := s.send(ctx, tx, plan.Reason)
		if tr != nil {
			res.Txs = append(res.Txs, *tr)
		}
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// send sends one transaction and waits for its receipt, within the per-transaction timeout.
func (s *Submitter) send(ctx context.Context, tx Tx, reason string) (*TxResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	began := time.Now()
	receipt, err := s.sendTx(ctx, tx)
	if err != nil {
		status := statusError
		if errors.Is(err, ErrReverted) {
			status = statusReverted
			s.metrics.txReverted.Inc()
		}
		s.metrics.attempt(tx, statusError)
		s.metrics.transactions.WithLabelValues(tx.Kind, status).Inc()
		return nil, err
	}

	tr := &TxResult{Tx: tx, Hash: receipt.TxHash, GasUsed: receipt.GasUsed, Status: receipt.Status, Receipt: receipt}
	if receipt.BlockNumber != nil {
		tr.Block = receipt.BlockNumber.Uint64()
	}
	s.metrics.gasUsed.Add(float64(receipt.GasUsed))
	status := statusSucceed
	if receipt.Status != types.ReceiptStatusSuccessful {
		status = statusReverted
	}
	s.log.Info("stake update mined", "kind", tx.Kind, "operators", len(tx.Operators), "quorums", quorumInts(tx.Quorums),
		"hash", receipt.TxHash, "gas_used", receipt.GasUsed, "gas_estimate", tx.GasEstimate, "block", tr.Block,
		"status", status, "reason", reason, "took", time.Since(began).Round(time.Millisecond))
	s.metrics.transactions.WithLabelValues(tx.Kind, status).Inc()
	if receipt.Status != types.ReceiptStatusSuccessful {
		s.metrics.txReverted.Inc()
		s.metrics.attempt(tx, statusError)
		return tr, fmt.Errorf("%s of %d operators (quorums %v) in tx %s at block %d: %w",
			tx.Kind, len(tx.Operators), tx.Quorums, receipt.TxHash, tr.Block, ErrReverted)
	}
	s.metrics.attempt(tx, statusSucceed)
	s.metrics.updated(tx)
	return tr, nil
}

// sendTx hands the transaction to the transaction manager (NewTxManager's Sender), which owns
// nonce, fees within the caps, replacement and resubmission, and waits for the receipt. The
// candidate carries only what to call: the manager ignores its nonce, gas and fees.
func (s *Submitter) sendTx(ctx context.Context, tx Tx) (*types.Receipt, error) {
	to := s.c.RegistryCoordinator
	unsigned := types.NewTx(&types.DynamicFeeTx{
		ChainID: s.chainID,
		To:      &to,
		Gas:     tx.GasEstimate,
		Data:    tx.Data,
	})
	receipt, err := s.txm.Send(ctx, unsigned, true)
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
