package registry

import (
	"context"
	"fmt"
	"math/big"

	allocationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/AllocationManager"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// PendingAllocation is an allocation change of an operator to a quorum's operator set that has
// not taken effect yet.
type PendingAllocation struct {
	Operator    common.Address
	Quorum      uint8
	EffectBlock uint64
}

// PendingAllocations reads, at block (0 = latest), the allocation changes of operators to the
// operator sets of quorums that take effect after block. They emit no event when they do, so the
// daemon reads them at start rather than rely on having seen AllocationUpdated. Three batched
// rounds: strategy counts, strategies, allocations. Nothing is read without an AllocationManager.
func (r *Reader) PendingAllocations(ctx context.Context, operators []common.Address, quorums []uint8, block uint64) ([]PendingAllocation, error) {
	if r.c.AllocationManager == (common.Address{}) || len(operators) == 0 || len(quorums) == 0 {
		return nil, nil
	}
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return nil, err
	}
	avs := r.Contracts().AVS
	strategies, err := r.quorumStrategies(ctx, quorums, block)
	if err != nil {
		return nil, err
	}
	type key struct {
		op common.Address
		q  uint8
	}
	var calls []*call
	var keys []key
	for _, op := range operators {
		for _, q := range quorums {
			set := allocationmanager.OperatorSet{Avs: avs, Id: uint32(q)}
			for _, st := range strategies[q] {
				calls = append(calls, &call{to: r.c.AllocationManager, abi: r.abis.am, method: "getAllocation", args: []any{op, set, st}})
				keys = append(keys, key{op, q})
			}
		}
	}
	if err := r.batch.exec(ctx, calls, block); err != nil {
		return nil, fmt.Errorf("read allocations of %d operators at block %d: %w", len(operators), block, err)
	}
	seen := map[PendingAllocation]bool{}
	var out []PendingAllocation
	for i, c := range calls {
		vals, err := c.result()
		if err != nil {
			return nil, fmt.Errorf("read allocation of %s to quorum %d: %w", keys[i].op, keys[i].q, err)
		}
		a := *abi.ConvertType(vals[0], new(allocationmanager.IAllocationManagerTypesAllocation)).(*allocationmanager.IAllocationManagerTypesAllocation)
		if a.PendingDiff == nil || a.PendingDiff.Sign() == 0 || uint64(a.EffectBlock) <= block {
			continue
		}
		p := PendingAllocation{Operator: keys[i].op, Quorum: keys[i].q, EffectBlock: uint64(a.EffectBlock)}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// quorumStrategies reads the strategies of each quorum in two batched rounds.
func (r *Reader) quorumStrategies(ctx context.Context, quorums []uint8, block uint64) (map[uint8][]common.Address, error) {
	lengths := make([]*call, len(quorums))
	for i, q := range quorums {
		lengths[i] = r.sr("strategyParamsLength", q)
	}
	if err := r.batch.exec(ctx, lengths, block); err != nil {
		return nil, fmt.Errorf("read strategy counts of quorums %v: %w", quorums, err)
	}
	var calls []*call
	var of []uint8
	for i, q := range quorums {
		n, err := bigResult(lengths[i])
		if err != nil {
			return nil, fmt.Errorf("read strategy count of quorum %d: %w", q, err)
		}
		for j := int64(0); j < n.Int64(); j++ {
			calls = append(calls, r.sr("strategyParamsByIndex", q, big.NewInt(j)))
			of = append(of, q)
		}
	}
	if err := r.batch.exec(ctx, calls, block); err != nil {
		return nil, fmt.Errorf("read strategies of quorums %v: %w", quorums, err)
	}
	out := make(map[uint8][]common.Address, len(quorums))
	for i, c := range calls {
		vals, err := c.result()
		if err != nil {
			return nil, fmt.Errorf("read a strategy of quorum %d: %w", of[i], err)
		}
		sp := *abi.ConvertType(vals[0], new(strategyParams)).(*strategyParams)
		out[of[i]] = append(out[of[i]], sp.Strategy)
	}
	return out, nil
}

// strategyParams is StakeRegistry.strategyParamsByIndex's answer.
type strategyParams struct {
	Strategy   common.Address
	Multiplier *big.Int
}
