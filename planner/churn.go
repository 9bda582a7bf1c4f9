package planner

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// A quorum at its operator cap takes a new operator only by churning one out: the coordinator
// (registerOperatorWithChurn, or EigenDA's registerOperator) removes the operator with the lowest
// stored stake and judges the newcomer against that stored stake. Where a quorum is full, the
// stored stakes that decide the churn are kept exact whatever the materiality rule says: the
// lowest one, and any whose weight has fallen below it.

// LowestStored returns, for each quorum in caps whose operator count in stakes reaches its cap,
// the lowest stored stake among its registered operators. stakes must hold every operator of
// those quorums.
func LowestStored(stakes []OperatorStake, caps map[uint8]uint32) map[uint8]*big.Int {
	count := make(map[uint8]int)
	lowest := make(map[uint8]*big.Int)
	for _, s := range stakes {
		if !s.Registered {
			continue
		}
		for _, st := range s.Quorums {
			if caps[st.Quorum] == 0 {
				continue
			}
			count[st.Quorum]++
			if l, ok := lowest[st.Quorum]; !ok || cmpAmount(st.Stored, l) < 0 {
				lowest[st.Quorum] = amount(st.Stored)
			}
		}
	}
	for q := range lowest {
		if count[q] < int(caps[q]) {
			delete(lowest, q)
		}
	}
	return lowest
}

// AtChurnLine reports whether st's stored stake decides who a registration churns out of a full
// quorum whose lowest stored stake is lowest: it is that lowest stake, or its weight has fallen
// below it.
func AtChurnLine(st QuorumStake, lowest *big.Int) bool {
	return cmpAmount(st.Stored, lowest) <= 0 || cmpAmount(st.Weight, lowest) < 0
}

// ChurnCritical is a stale operator whose stored stake decides a churn: sent whatever the
// materiality rule says.
type ChurnCritical struct {
	Operator common.Address
	Quorum   uint8
	// Stored and Weight are the operator's; Lowest is the quorum's lowest stored stake.
	Stored, Weight, Lowest *big.Int
}

// churnCritical returns, of the stale operators held back as immaterial, those at the churn line
// of a full quorum (caps), each with the first such quorum. It reads the operator sets of the
// quorums they are stale in that have a cap (unless in sets already) and the stakes of their
// members: reads only, and only when something is held back in a capped quorum.
func (rs *Resolver) churnCritical(ctx context.Context, head uint64, held []OperatorStake, staleIn map[common.Address]quorumSet,
	caps map[uint8]uint32, sets map[uint8][]common.Address) ([]ChurnCritical, error) {
	var capped quorumSet
	for _, s := range held {
		for _, q := range staleIn[s.Operator].list() {
			if caps[q] > 0 {
				capped.add(q)
			}
		}
	}
	if capped.empty() {
		return nil, nil
	}
	members := make(map[uint8][]common.Address)
	var missing []uint8
	for _, q := range capped.list() {
		if ops, ok := sets[q]; ok {
			members[q] = ops
		} else {
			missing = append(missing, q)
		}
	}
	if len(missing) > 0 {
		read, err := rs.reader.QuorumOperators(ctx, missing, head)
		if err != nil {
			return nil, fmt.Errorf("read operator sets of capped quorums %v at block %d: %w", missing, head, err)
		}
		maps.Copy(members, read)
	}
	full := make(map[uint8]uint32)
	var all []common.Address
	for q, ops := range members {
		if len(ops) >= int(caps[q]) {
			full[q] = caps[q]
			all = append(all, ops...)
		}
	}
	if len(full) == 0 {
		return nil, nil
	}
	slices.SortFunc(all, common.Address.Cmp)
	all = slices.Compact(all)
	stakes, err := rs.reader.OperatorStakes(ctx, all, head)
	if err != nil {
		return nil, fmt.Errorf("read stakes of %d operators of full quorums at block %d: %w", len(all), head, err)
	}
	lowest := LowestStored(stakes, full)
	var out []ChurnCritical
	for _, s := range held {
		for _, st := range s.Quorums {
			l, ok := lowest[st.Quorum]
			if ok && staleIn[s.Operator].has(st.Quorum) && AtChurnLine(st, l) {
				out = append(out, ChurnCritical{Operator: s.Operator, Quorum: st.Quorum, Stored: amount(st.Stored), Weight: amount(st.Weight), Lowest: l})
				break
			}
		}
	}
	return out, nil
}
