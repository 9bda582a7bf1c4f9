package planner

import (
	"math"
	"math/big"
)

// materialityScale is the fixed-point scale of Config.MinStakeChange in the integer comparison:
// a fraction is honoured to one part in a billion.
const materialityScale = 1_000_000_000

// MinMaterialChange is the smallest change of a stake (in weight units: wei for a strategy of
// multiplier 1e18, i.e. 0.001 ETH) an event-driven update is sent for, unless it crosses the
// quorum minimum. Without it an operator whose stored stake is 0 (or tiny) would be updated for
// every 1-wei deposit.
var MinMaterialChange = big.NewInt(1e15)

// immaterial reports whether every stale quorum of s (in qs) moved by less than the materiality
// threshold: then updating it costs the AVS more than the difference is worth, and the sweep
// stores it. A change is material when it crosses the quorum minimum (either way, including a
// weight below the minimum, which deregisters), or when it is at least MinMaterialChange and at
// least minChange of the stored stake (any change of a stored 0 is such a fraction).
func (rs *Resolver) immaterial(s OperatorStake, qs quorumSet) bool {
	if rs.minChange <= 0 {
		return false
	}
	for _, st := range s.Quorums {
		if qs.has(st.Quorum) && Material(st, rs.minChange) {
			return false
		}
	}
	return true
}

// Material reports whether a stale stake's change is worth an event-driven update under the
// threshold minChange (a fraction of the stored stake).
func Material(st QuorumStake, minChange float64) bool {
	if st.Stored == nil || st.Weight == nil {
		return true // unknown: not left to the sweep on a guess
	}
	stored, weight, minimum := amount(st.Stored), amount(st.Weight), amount(st.Minimum)
	if weight.Cmp(minimum) < 0 || stored.Cmp(minimum) < 0 {
		return true
	}
	diff := new(big.Int).Sub(weight, stored)
	if diff.Abs(diff).Cmp(MinMaterialChange) < 0 {
		return false
	}
	diff.Mul(diff, big.NewInt(materialityScale))
	threshold := new(big.Int).Mul(stored, big.NewInt(int64(math.Round(minChange*materialityScale))))
	return diff.Cmp(threshold) >= 0
}

// amount reads a nil amount as zero.
func amount(a *big.Int) *big.Int {
	if a == nil {
		return new(big.Int)
	}
	return a
}
