package planner

import (
	"math"
	"math/big"
)

// materialityScale is the fixed-point scale of Config.MinStakeChange in the integer comparison:
// a fraction is honoured to one part in a billion.
const materialityScale = 1_000_000_000

// quorumShareDivisor sets the floor of a material change relative to the quorum: minChange / 1000
// of the quorum's total stored stake (one part in a million at the default 0.001). It is a share
// of the quorum, not an amount of weight, so it means the same whatever the tokens' decimals or
// the multipliers' scale. Without a floor an operator whose stored stake is 0 (or tiny) would be
// updated for every 1-wei deposit; a millionth of a quorum changes no certificate's verdict.
const quorumShareDivisor = 1000

// immaterial reports whether every stale quorum of s (in qs) moved by less than the materiality
// threshold: then updating it costs the AVS more than the difference is worth, and the sweep
// stores it. A change is material when it crosses the quorum minimum (either way, including a
// weight below the minimum, which deregisters), or when it is at least minChange of the stored
// stake and at least minChange / 1000 of the quorum's total stored stake.
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
// threshold minChange: a fraction of the operator's stored stake, and a thousandth of that
// fraction of the quorum's total stored stake (QuorumStake.Total; nil or 0 sets no such floor).
// Both are ratios of amounts in the quorum's own units.
func Material(st QuorumStake, minChange float64) bool {
	if st.Stored == nil || st.Weight == nil {
		return true // unknown: not left to the sweep on a guess
	}
	stored, weight, minimum := amount(st.Stored), amount(st.Weight), amount(st.Minimum)
	if weight.Cmp(minimum) < 0 || stored.Cmp(minimum) < 0 {
		return true
	}
	diff := new(big.Int).Sub(weight, stored)
	diff.Abs(diff)
	diff.Mul(diff, big.NewInt(materialityScale))
	fraction := big.NewInt(int64(math.Round(minChange * materialityScale)))
	floor := new(big.Int).Mul(amount(st.Total), fraction)
	if diff.Cmp(floor.Quo(floor, big.NewInt(quorumShareDivisor))) < 0 {
		return false
	}
	return diff.Cmp(new(big.Int).Mul(stored, fraction)) >= 0
}

// amount reads a nil amount as zero.
func amount(a *big.Int) *big.Int {
	if a == nil {
		return new(big.Int)
	}
	return a
}
