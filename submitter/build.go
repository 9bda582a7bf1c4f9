package submitter

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
)

// errOverCap: the node would not estimate the call, it needs more gas than the node allows.
var errOverCap = errors.New("gas required exceeds the node's cap")

// Build returns the transactions Submit would send for plan, with their gas estimates, and sends
// nothing; the first part that cannot be built is the error (Submit sends the others).
func (s *Submitter) Build(ctx context.Context, plan planner.Plan) ([]Tx, error) {
	parts, err := s.build(ctx, plan)
	if err != nil {
		return nil, err
	}
	txs := make([]Tx, 0, len(parts))
	for _, p := range parts {
		if p.err != nil {
			return nil, p.err
		}
		txs = append(txs, p.tx)
	}
	return txs, nil
}

// Estimate is one transaction Submit would send for a plan, or the part of the plan that could
// not be built into one and why (Err: ErrReverted, ErrTooLarge wrapped; Tx then has no estimate).
type Estimate struct {
	Tx  Tx
	Err error
}

// Estimates returns every part Submit would send for plan, the ones that would fail included, and
// sends nothing. The error is for what stops the whole plan (no chain head).
func (s *Submitter) Estimates(ctx context.Context, plan planner.Plan) ([]Estimate, error) {
	parts, err := s.build(ctx, plan)
	if err != nil {
		return nil, err
	}
	out := make([]Estimate, len(parts))
	for i, p := range parts {
		out[i] = Estimate{Tx: p.tx, Err: p.err}
	}
	return out, nil
}

// part is one transaction of a plan, or the work that could not be built into one and why.
type part struct {
	tx  Tx
	err error
}

// build packs plan into parts. Quorum refreshes come first: several quorums share a transaction
// while the estimate fits the budget; one quorum's set is never split, and is sent alone over the
// budget as long as it fits in a block, else it is a failed part (ErrTooLarge). Then plan.Operators
// in updateOperators chunks that fit the budget; an operator whose own update reverts is a failed
// part of its own (ErrReverted), so the others still go. A part that fails does not fail the
// others: they are independent. The error is for what stops the whole plan (no chain head).
func (s *Submitter) build(ctx context.Context, plan planner.Plan) ([]part, error) {
	if plan.Empty() {
		return nil, nil
	}
	head, err := s.client.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read block gas limit: %w", err)
	}
	b := builder{s: s, blockCap: uint64(float64(min(head.GasLimit, s.cfg.MaxTxGas)) / GasLimitMultiplier)}
	b.budget = min(s.cfg.GasBudget, b.blockCap)

	var parts []part
	if len(plan.Quorums) > 0 {
		parts = append(parts, b.quorums(ctx, plan.Quorums)...)
	}
	if len(plan.Operators) > 0 {
		parts = append(parts, b.operators(ctx, plan.Operators)...)
	}
	return parts, nil
}

// builder packs and estimates the transactions of one Build.
type builder struct {
	s *Submitter
	// budget is the most gas a transaction is estimated at unless it cannot be split; blockCap is
	// the most that still fits in a block once the transaction manager adds its headroom.
	budget, blockCap uint64
}

// quorums packs quorum refreshes greedily in plan order: a quorum joins the current transaction
// while the joint estimate fits the budget. A quorum that cannot be refreshed alone is a failed
// part; the others are packed without it.
func (b builder) quorums(ctx context.Context, updates []planner.QuorumUpdate) []part {
	var parts []part
	var cur *Tx
	for _, u := range updates {
		if cur != nil {
			joint, err := b.quorumTx(ctx, append(currentUpdates(*cur), u))
			if err == nil && joint.GasEstimate <= b.budget {
				*cur = joint
				continue
			}
			// Over the per-transaction cap the joint estimate may come back as a revert, or the
			// new quorum may fail on its own: each quorum alone tells.
			parts = append(parts, part{tx: *cur})
			cur = nil
		}
		alone, err := b.quorumTx(ctx, []planner.QuorumUpdate{u})
		if errors.Is(err, errOverCap) || (err == nil && alone.GasEstimate > b.blockCap) {
			err = fmt.Errorf("updateOperatorsForQuorum of quorum %d (%d operators) needs more gas than a transaction may use (%d with headroom): %w",
				u.Quorum, len(u.Operators), b.blockCap, ErrTooLarge)
		}
		if err != nil {
			parts = append(parts, part{tx: quorumPart([]planner.QuorumUpdate{u}), err: err})
			continue
		}
		cur = &alone
	}
	if cur != nil {
		parts = append(parts, part{tx: *cur})
	}
	return parts
}

// quorumPart describes quorum refreshes without calldata or estimate, for a part not built.
func quorumPart(updates []planner.QuorumUpdate) Tx {
	tx := Tx{Kind: KindUpdateOperatorsForQuorum}
	for _, u := range updates {
		tx.Quorums = append(tx.Quorums, u.Quorum)
		tx.OperatorsPerQuorum = append(tx.OperatorsPerQuorum, u.Operators)
		tx.Operators = append(tx.Operators, u.Operators...)
	}
	return tx
}

// currentUpdates recovers the quorum updates a quorum transaction carries.
func currentUpdates(tx Tx) []planner.QuorumUpdate {
	out := make([]planner.QuorumUpdate, len(tx.Quorums))
	for i, q := range tx.Quorums {
		out[i] = planner.QuorumUpdate{Quorum: q, Operators: tx.OperatorsPerQuorum[i]}
	}
	return out
}

// quorumTx packs and estimates one updateOperatorsForQuorum.
func (b builder) quorumTx(ctx context.Context, updates []planner.QuorumUpdate) (Tx, error) {
	tx := Tx{Kind: KindUpdateOperatorsForQuorum}
	for _, u := range updates {
		tx.Quorums = append(tx.Quorums, u.Quorum)
		tx.OperatorsPerQuorum = append(tx.OperatorsPerQuorum, u.Operators)
		tx.Operators = append(tx.Operators, u.Operators...)
	}
	data, err := b.s.rcABI.Pack("updateOperatorsForQuorum", tx.OperatorsPerQuorum, []byte(tx.Quorums))
	if err != nil {
		return Tx{}, fmt.Errorf("encode updateOperatorsForQuorum for quorums %v: %w", tx.Quorums, err)
	}
	tx.Data = data
	if tx.GasEstimate, err = b.estimate(ctx, data); err != nil {
		return Tx{}, fmt.Errorf("estimate updateOperatorsForQuorum for quorums %v (%d operators): %w", tx.Quorums, len(tx.Operators), err)
	}
	return tx, nil
}

// operators splits ops into updateOperators transactions within the budget: estimate the whole,
// and if it is too big, split it into as many even parts as the estimate says and recurse on
// each (halves when the node gave no estimate).
//
// A list that reverts is split in halves too: over the per-transaction gas cap a node answers a
// plain "execution reverted" (an inner call runs out of gas), and an operator whose own update
// reverts is isolated that way, in about log2(len) estimates, so the others land.
func (b builder) operators(ctx context.Context, ops []common.Address) []part {
	tx, err := b.operatorsTx(ctx, ops)
	tx.Kind, tx.Operators = KindUpdateOperators, ops
	over := errors.Is(err, errOverCap)
	reverted := errors.Is(err, ErrReverted)
	switch {
	case err != nil && len(ops) == 1 && reverted:
		return []part{{tx: tx, err: fmt.Errorf("updateOperators of %s alone: %w", ops[0], err)}}
	case err != nil && !over && !reverted:
		return []part{{tx: tx, err: err}}
	case err == nil && tx.GasEstimate <= b.budget:
		return []part{{tx: tx}}
	}
	if len(ops) == 1 {
		if !over && tx.GasEstimate <= b.blockCap {
			return []part{{tx: tx}}
		}
		return []part{{tx: tx, err: fmt.Errorf("updateOperators of %s alone needs more gas than a block allows (%d with headroom): %w", ops[0], b.blockCap, ErrTooLarge)}}
	}
	parts := 2
	if err == nil {
		parts = int((tx.GasEstimate + b.budget - 1) / b.budget)
	}
	parts = min(max(parts, 2), len(ops))
	var out []part
	for i := range parts {
		out = append(out, b.operators(ctx, ops[i*len(ops)/parts:(i+1)*len(ops)/parts])...)
	}
	return out
}

// operatorsTx packs and estimates one updateOperators.
func (b builder) operatorsTx(ctx context.Context, ops []common.Address) (Tx, error) {
	data, err := b.s.rcABI.Pack("updateOperators", ops)
	if err != nil {
		return Tx{}, fmt.Errorf("encode updateOperators for %d operators: %w", len(ops), err)
	}
	tx := Tx{Kind: KindUpdateOperators, Operators: ops, Data: data}
	if tx.GasEstimate, err = b.estimate(ctx, data); err != nil {
		return tx, fmt.Errorf("estimate updateOperators for %d operators: %w", len(ops), err)
	}
	return tx, nil
}

// estimate runs eth_estimateGas from the sender. A revert is ErrReverted-wrapped; a call that
// needs more gas than the node will estimate is errOverCap.
func (b builder) estimate(ctx context.Context, data []byte) (uint64, error) {
	to := b.s.c.UpdateTarget()
	gas, err := pendingEstimator{b.s.client}.EstimateGas(ctx, ethereum.CallMsg{From: b.s.sender, To: &to, Data: data})
	switch {
	case err == nil:
		return gas, nil
	case isOverCap(err):
		return 0, fmt.Errorf("%w: %w", errOverCap, err)
	case registry.IsRevert(err):
		return 0, fmt.Errorf("%w: %w", ErrReverted, err)
	}
	return 0, err
}

// pendingEstimator estimates gas in the pending block rather than the latest one. The
// StakeRegistry's stake histories make an update cheaper in the block of the previous update (the
// entry is rewritten in place) than in a later block (a new entry is pushed): an estimate at
// "latest" right after another stake update comes out tens of thousands of gas short of what the
// transaction needs when mined, enough for it to run out of gas. The pending block has the number
// the transaction will be mined at (or before).
type pendingEstimator struct{ *ethclient.Client }

// EstimateGas runs eth_estimateGas at the pending block.
func (p pendingEstimator) EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error) {
	return p.Client.EstimateGasAtBlock(ctx, msg, big.NewInt(int64(rpc.PendingBlockNumber)))
}

// isOverCap recognises geth's "gas required exceeds allowance" and similar answers.
func isOverCap(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "gas required exceeds") || strings.Contains(msg, "out of gas")
}
