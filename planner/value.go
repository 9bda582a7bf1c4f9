package planner

import (
	"context"
	"math"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// gasHeadroom is the factor between a transaction's predicted gas and the gas limit it is sent
// with (the submitter's GasLimitMultiplier): what a budget must hold for it.
const gasHeadroom = 1.2

// Misattributed is the share of a quorum's total stored stake that an operator's stored stake
// attributes wrongly: |weight - stored| / total. It is a ratio of amounts in the quorum's own
// units, so it means the same whatever the tokens' decimals or the multipliers' scale. A quorum
// with no stored stake at all (total 0 or unread) counts any difference as the whole quorum (1).
func Misattributed(st QuorumStake) float64 {
	diff := new(big.Int).Sub(amount(st.Weight), amount(st.Stored))
	if diff.Sign() == 0 {
		return 0
	}
	diff.Abs(diff)
	total := amount(st.Total)
	if total.Sign() <= 0 || diff.Cmp(total) >= 0 {
		return 1
	}
	f, _ := new(big.Rat).SetFrac(diff, total).Float64()
	return f
}

// crossesMinimum reports whether updating st changes the quorum's membership: its weight is below
// the minimum (the update deregisters it) or its stored stake is (a stake certificates count as 0).
func crossesMinimum(st QuorumStake) bool {
	minimum := amount(st.Minimum)
	return amount(st.Weight).Cmp(minimum) < 0 || amount(st.Stored).Cmp(minimum) < 0
}

// Candidate is one stale operator as the budget sees it: the stake its update stops being
// misattributed, summed over the quorums it is stale in, per gas its update is predicted to cost.
type Candidate struct {
	Operator common.Address
	// Value is Σ Misattributed over the operator's stale quorums in scope.
	Value float64
	// Gas is the predicted gas of the operator in an updateOperators batch: updateOperators
	// updates every quorum the operator is in, so each of them costs its share.
	Gas float64
	// Critical: the update crosses a quorum minimum or decides a churn: it goes first.
	Critical bool
}

// PerGas is the candidate's value per unit of gas; certificate-critical work ranks above any.
func (c Candidate) PerGas() float64 {
	if c.Critical {
		return math.Inf(1)
	}
	if c.Gas <= 0 {
		return c.Value
	}
	return c.Value / c.Gas
}

// byValue orders candidates most valuable per gas first; ties by address, so the order is total.
func byValue(a, b Candidate) int {
	if x, y := a.PerGas(), b.PerGas(); x != y {
		if x > y {
			return -1
		}
		return 1
	}
	return a.Operator.Cmp(b.Operator)
}

// fitBudget keeps, of a plan's operators, the most valuable per gas that fit in what remains of
// the gas budget (b.GasLeft, with the submitter's headroom), once the plan's quorum refreshes are
// paid for, each within its pace share of the limit (b.GasLimit, see PaceFloor); the rest wait
// for the budget (res.Deferred), least valuable first out. It changes nothing when the whole plan
// fits, when no budget applies, and for deadline and churn-line work.
func (rs *Resolver) fitBudget(ctx context.Context, b Batch, plan *Plan, stale []staleOperator, res *Resolution) error {
	if !b.GasLimited || b.ChurnLineOnly || len(plan.Operators) == 0 {
		return nil
	}
	cost := rs.cost
	if cost == nil {
		cost = &DefaultCostModel
	}
	var qs quorumSet
	for _, s := range stale {
		qs = qs.union(s.quorums)
		for _, st := range s.stake.Quorums {
			qs.add(st.Quorum)
		}
	}
	for _, u := range plan.Quorums {
		qs.add(u.Quorum)
	}
	counts, err := rs.strategyCounts(ctx, b.Strategies, qs.list(), b.Head)
	if err != nil {
		return err
	}
	strategies := func(q uint8) int { return max(counts[q], 1) }

	headroom := max(b.GasHeadroom, gasHeadroom)
	left := float64(b.GasLeft) / headroom
	refreshes := 0.0
	if b.Reason != ReasonDeadline {
		// A deadline refresh is exempt from the budget; any other refresh is paid first.
		for _, u := range plan.Quorums {
			refreshes += cost.RefreshGas(len(u.Operators), strategies(u.Quorum), 0)
		}
	}
	left -= refreshes
	in := make(map[common.Address]bool, len(plan.Operators))
	for _, op := range plan.Operators {
		in[op] = true
	}
	var cands []Candidate
	for _, s := range stale {
		if !in[s.op] {
			continue
		}
		c := Candidate{Operator: s.op, Critical: s.churn}
		for _, st := range s.stake.Quorums {
			// The operator's stake is written in each of its quorums, stale or not.
			c.Gas += cost.UpdatePerOperator + cost.UpdatePerStrategy*float64(strategies(st.Quorum))
			if !s.quorums.has(st.Quorum) {
				continue
			}
			c.Value += Misattributed(st)
			c.Critical = c.Critical || crossesMinimum(st)
		}
		c.Gas = max(c.Gas, cost.UpdatePerOperator)
		cands = append(cands, c)
	}
	rs.values.note(cands)
	used := 0.0
	if b.GasLimit > b.GasLeft {
		used = float64(b.GasLimit - b.GasLeft)
	}
	// paced reports whether c's pace holds it, spend (the plan's so far, base included) before
	// it: the window, with what the plan sends before c, already holds its share of the limit
	// (see PaceFloor). Certificate-critical work and a budget of unknown limit have no pace.
	paced := func(c Candidate, spend float64) bool {
		if b.GasLimit == 0 || c.Critical {
			return false
		}
		return used+(refreshes+spend-cost.UpdateBase)*headroom >= rs.values.share(c)*float64(b.GasLimit)
	}
	slices.SortFunc(cands, byValue)
	critical := cost.UpdateBase
	var criticals []common.Address
	for _, c := range cands {
		if c.Critical {
			critical += c.Gas
			criticals = append(criticals, c.Operator)
		}
	}
	if len(criticals) > 0 && critical > left {
		// Certificate-critical work goes whatever the budget, alone so that nothing rides on
		// its exemption.
		res.Ranked = cands
		for _, c := range cands[len(criticals):] {
			res.Deferred = append(res.Deferred, c.Operator)
		}
		if len(cands) > len(criticals) {
			res.DeferredGas = uint64((cost.UpdateBase + cands[len(criticals)].Gas) * headroom)
		}
		slices.SortFunc(criticals, common.Address.Cmp)
		plan.Operators, plan.ChurnLine = criticals, true
		return nil
	}
	spend := cost.UpdateBase
	var kept []common.Address
	for i, c := range cands {
		over := spend+c.Gas > left
		if over || paced(c, spend) {
			// The rest wait, from here: a cheaper one further down is worth less per gas, and
			// its share is no larger. The budget counts as spent for them until the first fits
			// what remains or, where only its pace holds it, until the window holds less than
			// its share.
			res.Ranked = cands
			for _, d := range cands[i:] {
				res.Deferred = append(res.Deferred, d.Operator)
			}
			res.DeferredGas = uint64((cost.UpdateBase + c.Gas) * headroom)
			if !over {
				res.PaceShare = rs.values.share(c)
			}
			break
		}
		spend += c.Gas
		kept = append(kept, c.Operator)
	}
	if len(res.Deferred) == 0 {
		plan.PredictedGas = refreshes + spend
		return nil
	}
	slices.SortFunc(kept, common.Address.Cmp)
	plan.Operators = kept
	if len(kept) > 0 {
		plan.PredictedGas = refreshes + spend
	}
	return nil
}
