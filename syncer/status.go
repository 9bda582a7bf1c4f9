package syncer

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
)

// QuorumReport is one quorum's freshness, as `avs-sync status` shows it.
type QuorumReport struct {
	Quorum    uint8  `json:"quorum"`
	StakeType string `json:"stake_type"`
	Operators int    `json:"operators"`
	// Stale counts operators whose stored stake differs from their current weight, or whose weight
	// fell below the minimum.
	Stale []common.Address `json:"stale"`
	// UpdateBlock is quorumUpdateBlockNumber; BlocksSinceUpdate is head minus it.
	UpdateBlock       uint64 `json:"update_block"`
	BlocksSinceUpdate uint64 `json:"blocks_since_update"`
	// Deadline is the block by which the quorum must be refreshed whole, when the AVS forbids stale
	// stakes; 0 otherwise.
	Deadline uint64 `json:"deadline,omitempty"`
	// MaxOperators is the quorum's operator cap (0: none read); Full is set at it, when a
	// registration churns out the operator with the lowest stored stake.
	MaxOperators uint32 `json:"max_operators"`
	Full         bool   `json:"full"`
	// LowestStored is a full quorum's lowest stored stake; ChurnLine are the operators whose stored
	// stake decides a churn (the lowest, and any whose weight fell below it), kept exact whatever
	// the materiality rule says.
	LowestStored *big.Int         `json:"lowest_stored,omitempty"`
	ChurnLine    []common.Address `json:"churn_line,omitempty"`
	// HeldBack are the stale operators event-driven updates leave to the sweep, and why
	// (planner.HeldImmaterial: below the materiality threshold).
	HeldBack []HeldOperator `json:"held_back"`
	// Misattributed is the share of the quorum's total stored stake attributed to the wrong
	// operators (Σ |weight - stored| / total stored), LargestPart the largest single operator's
	// part of it, and LargestRelative the largest |weight - stored| / stored of one operator (1
	// where its stored stake is 0 and its weight is not).
	Misattributed   float64 `json:"misattributed_stake_ratio"`
	LargestPart     float64 `json:"misattributed_largest_ratio"`
	LargestRelative float64 `json:"largest_relative_error"`
}

// relativeError is |weight - stored| / stored (1 when nothing is stored and weight is not 0).
func relativeError(st planner.QuorumStake) float64 {
	stored, weight := new(big.Int), new(big.Int)
	if st.Stored != nil {
		stored = st.Stored
	}
	if st.Weight != nil {
		weight = st.Weight
	}
	diff := new(big.Int).Sub(weight, stored)
	if diff.Sign() == 0 {
		return 0
	}
	if stored.Sign() == 0 {
		return 1
	}
	f, _ := new(big.Rat).SetFrac(diff.Abs(diff), stored).Float64()
	return f
}

// HeldOperator is a stale operator left out of event-driven updates.
type HeldOperator struct {
	Operator common.Address `json:"operator"`
	Reason   string         `json:"reason"`
}

// ErrUnknownQuorum is returned for a quorum the AVS does not have.
var ErrUnknownQuorum = errors.New("no such quorum")

// Inspector reads what `status` and `plan` show.
type Inspector interface {
	Reader
	StaleStakesReader
}

// Inspect reads every quorum's freshness at head in a handful of batched round trips, and the
// stale-stakes rule its deadlines follow; stale operators whose change is below minChange (the
// materiality rule) are listed as held back.
func Inspect(ctx context.Context, r Inspector, head uint64, only []uint8, minChange float64) ([]QuorumReport, registry.StaleStakes, error) {
	qs, err := r.Quorums(ctx, head)
	if err != nil {
		return nil, registry.StaleStakes{}, fmt.Errorf("read quorums: %w", err)
	}
	rule, err := r.StaleStakes(ctx, head)
	if err != nil {
		return nil, registry.StaleStakes{}, err
	}
	// The daemon's rule: a checker that cannot say forbids, and no delay means no deadline.
	forbidden, delay := rule.Forbidden && rule.DelayKnown && rule.DelayBlocks > 0, rule.DelayBlocks
	var nums []uint8
	byNum := map[uint8]registry.Quorum{}
	for _, q := range qs {
		if len(only) > 0 && !slices.Contains(only, q.Number) {
			continue
		}
		nums = append(nums, q.Number)
		byNum[q.Number] = q
	}
	if len(only) > 0 {
		for _, q := range only {
			if _, ok := byNum[q]; !ok {
				return nil, rule, fmt.Errorf("%w: quorum %d (the AVS has %d)", ErrUnknownQuorum, q, len(qs))
			}
		}
	}
	sets, err := r.QuorumOperators(ctx, nums, head)
	if err != nil {
		return nil, rule, fmt.Errorf("read quorum operators: %w", err)
	}
	var all []common.Address
	seen := map[common.Address]bool{}
	for _, ops := range sets {
		for _, op := range ops {
			if !seen[op] {
				seen[op] = true
				all = append(all, op)
			}
		}
	}
	stakes, err := r.OperatorStakes(ctx, all, head)
	if err != nil {
		return nil, rule, fmt.Errorf("read operator stakes: %w", err)
	}
	caps := map[uint8]uint32{}
	for _, n := range nums {
		if byNum[n].MaxOperators > 0 {
			caps[n] = byNum[n].MaxOperators
		}
	}
	lowest := planner.LowestStored(stakes, caps)
	staleIn := map[uint8][]common.Address{}
	heldIn := map[uint8][]HeldOperator{}
	lineIn := map[uint8][]common.Address{}
	type errs struct{ sum, part, rel float64 }
	errIn := map[uint8]errs{}
	for _, s := range stakes {
		for _, qs := range s.Quorums {
			if s.Registered {
				e, part := errIn[qs.Quorum], planner.Misattributed(qs)
				e.sum += part
				e.part = max(e.part, part)
				e.rel = max(e.rel, relativeError(qs))
				errIn[qs.Quorum] = e
			}
			line := false
			if l, ok := lowest[qs.Quorum]; ok && s.Registered && planner.AtChurnLine(qs, l) {
				lineIn[qs.Quorum] = append(lineIn[qs.Quorum], s.Operator)
				line = true
			}
			if qs.Stale() {
				staleIn[qs.Quorum] = append(staleIn[qs.Quorum], s.Operator)
				if minChange > 0 && !line && !planner.Material(qs, minChange) {
					heldIn[qs.Quorum] = append(heldIn[qs.Quorum], HeldOperator{Operator: s.Operator, Reason: planner.HeldImmaterial})
				}
			}
		}
	}
	out := make([]QuorumReport, 0, len(nums))
	for _, n := range nums {
		q := byNum[n]
		rep := QuorumReport{Quorum: n, StakeType: q.StakeType.String(), Operators: len(sets[n]), Stale: staleIn[n], UpdateBlock: q.UpdateBlock,
			HeldBack: append([]HeldOperator{}, heldIn[n]...), MaxOperators: q.MaxOperators, LowestStored: lowest[n], ChurnLine: lineIn[n],
			Misattributed: errIn[n].sum, LargestPart: errIn[n].part, LargestRelative: errIn[n].rel}
		rep.Full = rep.MaxOperators > 0 && rep.Operators >= int(rep.MaxOperators)
		if head > q.UpdateBlock {
			rep.BlocksSinceUpdate = head - q.UpdateBlock
		}
		if forbidden {
			rep.Deadline = q.UpdateBlock + delay
		}
		out = append(out, rep)
	}
	return out, rule, nil
}
