package planner

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// StakeReader is the chain state the planner reads to drop no-ops; one call each, batched underneath.
type StakeReader interface {
	// OperatorStakes returns, for each operator (same order), the quorums it is registered in with
	// stored stake, current weight and the quorum minimum, read at block.
	OperatorStakes(ctx context.Context, operators []common.Address, block uint64) ([]OperatorStake, error)
	// QuorumOperators returns the complete operator set of each quorum at block, in any order
	// (Resolve sorts them, as updateOperatorsForQuorum requires).
	QuorumOperators(ctx context.Context, quorums []uint8, block uint64) (map[uint8][]common.Address, error)
}

// OperatorStake is one operator's stakes in the quorums it is registered in.
type OperatorStake struct {
	Operator common.Address
	// Registered is false when the operator is not registered with the AVS at the read block.
	Registered bool
	Quorums    []QuorumStake
}

// QuorumStake is one operator's stake in one quorum. A nil amount reads as zero.
type QuorumStake struct {
	Quorum uint8
	// Stored is the stake in the StakeRegistry; Weight is what an update would store; Minimum is
	// the quorum's minimum stake, below which an update deregisters the operator from the quorum;
	// Total is the quorum's total stored stake (nil where it was not read).
	Stored, Weight, Minimum, Total *big.Int
}

// Resolution counts what Resolve dropped and promoted, for logs and metrics.
type Resolution struct {
	// Candidates is the number of operators in the batch.
	Candidates int
	// Noops counts registered operators with nothing stale in the quorums in scope.
	Noops int
	// Unregistered counts operators not registered at the read block.
	Unregistered int
	// Escalated counts quorums promoted to a whole-quorum refresh because more than
	// FullQuorumRatio of their operators were stale.
	Escalated int
	// Covered counts stale operators left out of updateOperators because every quorum they are
	// stale in is refreshed whole by the same plan.
	Covered int
	// Immaterial are stale operators of Batch.Operators left to the sweep by the materiality rule
	// (Config.MinStakeChange).
	Immaterial []common.Address
	// Stale maps every stale candidate, immaterial ones included, to the quorums in scope it is
	// stale in.
	Stale map[common.Address][]uint8
	// Membership maps every registered candidate to the quorums in scope it is registered in.
	Membership map[common.Address][]uint8
	// Misattributed maps every registered candidate to its part of each quorum in scope it is
	// registered in: the share of the quorum's total stored stake its stored stake attributes
	// wrongly (Misattributed; 0 when fresh).
	Misattributed map[common.Address]map[uint8]float64
	// Deferred are stale operators left for when the budget is available again: those of a
	// ChurnLineOnly batch away from any churn line, and the least valuable per gas of a plan the
	// remaining budget could not pay for whole (Batch.GasLeft).
	Deferred []common.Address
	// DeferredGas is the gas limit the cheapest deferred operator needs in a transaction of its
	// own (0 when none was deferred for value): the budget counts as spent until it fits.
	DeferredGas uint64
	// PaceShare, when above 0, says the first deferred operator fitted what remains of the
	// budget but not its pace: the share of the limit the window must hold less of before it
	// goes (see PaceFloor). Meanwhile other work still goes.
	PaceShare float64
	// Ranked are the candidates of a plan trimmed to the budget, most valuable per gas first.
	Ranked []Candidate
	// ChurnLine are stale operators the materiality rule would have held back, sent because their
	// stored stake decides who a registration churns out of a full quorum.
	ChurnLine []ChurnCritical
	// Choices are the cost model's comparisons of the two shapes, for quorums where a refresh
	// could be the cheaper one.
	Choices []ShapeChoice
}

// Resolver turns batches into plans by reading the chain. It keeps only the values per gas it
// has seen (the budget's pace) and is safe for concurrent use, so the owner may resolve a batch
// while its loop keeps observing events.
type Resolver struct {
	reader StakeReader
	filter quorumFilter
	// ratio is the escalation threshold; 1 or more disables escalation and the read it needs.
	ratio float64
	// minChange is the materiality threshold of event-driven candidates; 0 disables the rule.
	minChange float64
	// cost, when set, decides escalation by predicted gas instead of ratio.
	cost *CostModel
	// values are the budgeted candidates' values per gas seen, the scale of the budget's pace;
	// the only state the resolver keeps, guarded by its own lock.
	values valueHistory
}

// NewResolver returns a resolver reading through r, with cfg's quorum filter and FullQuorumRatio.
func NewResolver(r StakeReader, cfg Config) *Resolver {
	ratio := cfg.FullQuorumRatio
	if ratio == 0 {
		ratio = DefaultFullQuorumRatio
	}
	if cfg.CostModel != nil {
		// Below costPrefilter no refresh is cheaper; the set reads follow the same threshold.
		ratio = costPrefilter
	}
	return &Resolver{reader: r, filter: newQuorumFilter(cfg.Quorums), ratio: ratio, minChange: cfg.MinStakeChange, cost: cfg.CostModel}
}

// Resolve reads the batch's operators and quorums at b.Head and returns the plan worth sending:
// operators stale in a quorum in scope (stored stake differs from weight, or weight is below the
// minimum) go to updateOperators, the batch's refreshes and any quorum with too many stale
// operators go to updateOperatorsForQuorum with their complete, sorted operator sets. The
// operators of b.MemberQuorums are candidates too; QuorumMembersOnly quorums are never refreshed
// whole here, nor NoEscalate quorums escalated. Stale operators of b.Operators whose change is
// immaterial are left out (Immaterial). It makes at most one call of OperatorStakes and two of
// QuorumOperators (one when the batch has no members to read).
func (rs *Resolver) Resolve(ctx context.Context, b Batch) (Plan, Resolution, error) {
	var res Resolution
	sets, candidates, err := rs.memberCandidates(ctx, b)
	if err != nil {
		return Plan{}, res, err
	}
	res.Candidates = len(candidates)
	stale, staleIn, held, err := rs.staleOperators(ctx, b.Head, candidates, eventDriven(b, sets), &res)
	if err != nil {
		return Plan{}, res, err
	}
	if b.ChurnLineOnly {
		stale, err = rs.keepChurnLine(ctx, b, sets, held, stale, &staleIn, &res)
	} else {
		stale, err = rs.promoteChurnLine(ctx, b, sets, held, stale, &staleIn, &res)
	}
	if err != nil {
		return Plan{}, res, err
	}

	whole := rs.filter.apply(quorumsOf(b.Refreshes()))
	var escalate quorumSet
	if rs.ratio < 1 && !b.ChurnLineOnly {
		for _, s := range stale {
			escalate = escalate.union(s.quorums)
		}
		escalate = escalate.minus(whole).minus(b.quorums(func(w QuorumWork) bool { return w.Mode == QuorumMembersOnly || w.NoEscalate }))
	}

	plan := Plan{Block: b.Head, Reason: b.Reason, ChurnLine: b.ChurnLineOnly}
	if need := whole.union(escalate); !need.empty() {
		var missing []uint8
		for _, q := range need.list() {
			if _, ok := sets[q]; !ok {
				missing = append(missing, q)
			}
		}
		if len(missing) > 0 {
			read, err := rs.reader.QuorumOperators(ctx, missing, b.Head)
			if err != nil {
				return Plan{}, res, fmt.Errorf("read operator sets of quorums %v at block %d: %w", missing, b.Head, err)
			}
			for q, ops := range read {
				sets[q] = ops
			}
		}
		for _, q := range whole.list() {
			if _, ok := sets[q]; !ok {
				return Plan{}, res, fmt.Errorf("read operator sets at block %d: quorum %d missing", b.Head, q)
			}
		}
		sizes := make(map[uint8]int, len(sets))
		for q, ops := range sets {
			sizes[q] = len(ops)
		}
		room := math.Inf(1)
		if b.GasLimited && b.Reason != ReasonDeadline {
			room = float64(b.GasLeft) / gasHeadroom
		}
		escalated, err := rs.escalations(ctx, b.Head, escalate.list(), sizes, &staleIn, room, b.Strategies, &res)
		if err != nil {
			return Plan{}, res, err
		}
		for _, q := range escalated.list() {
			whole.add(q)
			res.Escalated++
		}
		for _, q := range whole.list() {
			ops := slices.Clone(sets[q])
			slices.SortFunc(ops, common.Address.Cmp)
			plan.Quorums = append(plan.Quorums, QuorumUpdate{Quorum: q, Operators: ops})
		}
	}

	for _, s := range stale {
		if s.quorums.subsetOf(whole) {
			res.Covered++
			continue
		}
		plan.Operators = append(plan.Operators, s.op)
	}
	slices.SortFunc(plan.Operators, common.Address.Cmp)
	if err := rs.fitBudget(ctx, b, &plan, stale, &res); err != nil {
		return Plan{}, res, err
	}
	return plan, res, nil
}

// memberCandidates reads the operator sets of b.MemberQuorums (in scope) and returns
// them with the batch's candidates: b.Operators and every member, sorted, once each.
func (rs *Resolver) memberCandidates(ctx context.Context, b Batch) (map[uint8][]common.Address, []common.Address, error) {
	sets := make(map[uint8][]common.Address)
	qs := rs.filter.apply(quorumsOf(b.MemberQuorums())).list()
	if len(qs) == 0 {
		return sets, b.Operators, nil
	}
	read, err := rs.reader.QuorumOperators(ctx, qs, b.Head)
	if err != nil {
		return nil, nil, fmt.Errorf("read operator sets of quorums %v at block %d: %w", qs, b.Head, err)
	}
	candidates := slices.Clone(b.Operators)
	for _, q := range qs {
		ops, ok := read[q]
		if !ok {
			return nil, nil, fmt.Errorf("read operator sets at block %d: quorum %d missing", b.Head, q)
		}
		sets[q] = ops
		candidates = append(candidates, ops...)
	}
	slices.SortFunc(candidates, common.Address.Cmp)
	return sets, slices.Compact(candidates), nil
}

// eventDriven returns the candidates the materiality rule applies to: b.Operators and the members
// of QuorumMaterialMembers quorums that are not also members of another quorum the batch resolves
// member by member.
func eventDriven(b Batch, sets map[uint8][]common.Address) map[common.Address]bool {
	out := make(map[common.Address]bool, len(b.Operators))
	for _, op := range b.Operators {
		out[op] = true
	}
	material := b.quorums(func(w QuorumWork) bool { return w.Mode == QuorumMaterialMembers })
	for _, q := range material.list() {
		for _, op := range sets[q] {
			out[op] = true
		}
	}
	for q, ops := range sets {
		if material.has(q) {
			continue
		}
		for _, op := range ops {
			delete(out, op)
		}
	}
	return out
}

// staleOperator is a registered operator and the quorums in scope it is stale in.
type staleOperator struct {
	op      common.Address
	quorums quorumSet
	stake   OperatorStake
	// churn: the operator's stored stake decides who a registration churns out of a full quorum.
	churn bool
}

// staleOperators reads the candidates at head and keeps those stale in a quorum in scope; staleIn
// counts them per quorum. Candidates in eventDriven whose every stale quorum changed immaterially
// are left out and listed in res.Immaterial.
func (rs *Resolver) staleOperators(ctx context.Context, head uint64, candidates []common.Address, eventDriven map[common.Address]bool, res *Resolution) ([]staleOperator, [256]int, []OperatorStake, error) {
	var staleIn [256]int
	if len(candidates) == 0 {
		return nil, staleIn, nil, nil
	}
	stakes, err := rs.reader.OperatorStakes(ctx, candidates, head)
	if err != nil {
		return nil, staleIn, nil, fmt.Errorf("read stakes of %d operators at block %d: %w", len(candidates), head, err)
	}
	if len(stakes) != len(candidates) {
		return nil, staleIn, nil, fmt.Errorf("read stakes of %d operators at block %d: got %d answers",
			len(candidates), head, len(stakes))
	}
	var stale []staleOperator
	var held []OperatorStake
	for i, s := range stakes {
		if s.Operator != candidates[i] {
			return nil, staleIn, nil, fmt.Errorf("read stakes at block %d: answer %d is for %s, want %s",
				head, i, s.Operator, candidates[i])
		}
		if !s.Registered {
			res.Unregistered++
			continue
		}
		var qs, member quorumSet
		parts := make(map[uint8]float64, len(s.Quorums))
		for _, st := range s.Quorums {
			if !rs.filter.has(st.Quorum) {
				continue
			}
			member.add(st.Quorum)
			parts[st.Quorum] = Misattributed(st)
			if st.Stale() {
				qs.add(st.Quorum)
			}
		}
		if res.Membership == nil {
			res.Membership = make(map[common.Address][]uint8)
		}
		res.Membership[s.Operator] = member.list()
		if res.Misattributed == nil {
			res.Misattributed = make(map[common.Address]map[uint8]float64)
		}
		res.Misattributed[s.Operator] = parts
		if qs.empty() {
			res.Noops++
			continue
		}
		if res.Stale == nil {
			res.Stale = make(map[common.Address][]uint8)
		}
		res.Stale[s.Operator] = qs.list()
		if eventDriven[s.Operator] && rs.immaterial(s, qs) {
			res.Immaterial = append(res.Immaterial, s.Operator)
			held = append(held, s)
			continue
		}
		for _, q := range qs.list() {
			staleIn[q]++
		}
		stale = append(stale, staleOperator{op: s.Operator, quorums: qs, stake: s})
	}
	return stale, staleIn, held, nil
}

// promoteChurnLine sends, of the operators held back as immaterial, those whose stored stake
// decides who a registration churns out of a full quorum (b.Caps): they leave res.Immaterial for
// res.ChurnLine and join stale.
func (rs *Resolver) promoteChurnLine(ctx context.Context, b Batch, sets map[uint8][]common.Address, held []OperatorStake,
	stale []staleOperator, staleIn *[256]int, res *Resolution) ([]staleOperator, error) {
	if len(held) == 0 || len(b.Caps) == 0 {
		return stale, nil
	}
	quorums := make(map[common.Address]quorumSet, len(held))
	for _, s := range held {
		qs := quorumsOf(res.Stale[s.Operator])
		quorums[s.Operator] = qs
	}
	critical, err := rs.churnCritical(ctx, b.Head, held, quorums, b.Caps, sets)
	if err != nil {
		return nil, err
	}
	for _, c := range critical {
		res.ChurnLine = append(res.ChurnLine, c)
		res.Immaterial = slices.DeleteFunc(res.Immaterial, func(op common.Address) bool { return op == c.Operator })
		qs := quorums[c.Operator]
		for _, q := range qs.list() {
			staleIn[q]++
		}
		stale = append(stale, staleOperator{op: c.Operator, quorums: qs, churn: true})
	}
	return stale, nil
}

// keepChurnLine keeps, of a ChurnLineOnly batch's stale operators (material or not), only those
// at the churn line of a full quorum: the rest are deferred for the budget (res.Deferred), the
// immaterial ones stay in res.Immaterial.
func (rs *Resolver) keepChurnLine(ctx context.Context, b Batch, sets map[uint8][]common.Address, held []OperatorStake,
	stale []staleOperator, staleIn *[256]int, res *Resolution) ([]staleOperator, error) {
	all := slices.Clone(held)
	for _, s := range stale {
		all = append(all, s.stake)
	}
	quorums := make(map[common.Address]quorumSet, len(all))
	for _, s := range all {
		quorums[s.Operator] = quorumsOf(res.Stale[s.Operator])
	}
	var critical []ChurnCritical
	if len(all) > 0 && len(b.Caps) > 0 {
		var err error
		if critical, err = rs.churnCritical(ctx, b.Head, all, quorums, b.Caps, sets); err != nil {
			return nil, err
		}
	}
	*staleIn = [256]int{}
	kept := make(map[common.Address]bool, len(critical))
	var out []staleOperator
	for _, s := range stale {
		if !crosses(s) {
			continue
		}
		kept[s.op] = true
		for _, q := range s.quorums.list() {
			staleIn[q]++
		}
		out = append(out, s)
	}
	for _, c := range critical {
		if kept[c.Operator] {
			continue
		}
		kept[c.Operator] = true
		res.ChurnLine = append(res.ChurnLine, c)
		res.Immaterial = slices.DeleteFunc(res.Immaterial, func(op common.Address) bool { return op == c.Operator })
		for _, q := range quorums[c.Operator].list() {
			staleIn[q]++
		}
		out = append(out, staleOperator{op: c.Operator, quorums: quorums[c.Operator]})
	}
	for _, s := range stale {
		if !kept[s.op] {
			res.Deferred = append(res.Deferred, s.op)
		}
	}
	return out, nil
}

// crosses reports whether s's update changes a quorum's membership in a quorum it is stale in.
func crosses(s staleOperator) bool {
	for _, st := range s.stake.Quorums {
		if s.quorums.has(st.Quorum) && crossesMinimum(st) {
			return true
		}
	}
	return false
}

// Stale reports whether updateOperators would change this stake: store a different amount, or
// deregister the operator from the quorum for falling below the minimum.
func (s QuorumStake) Stale() bool {
	return cmpAmount(s.Stored, s.Weight) != 0 || cmpAmount(s.Weight, s.Minimum) < 0
}

// cmpAmount compares two amounts, a nil one being zero.
func cmpAmount(a, b *big.Int) int {
	if a == nil {
		a = new(big.Int)
	}
	if b == nil {
		b = new(big.Int)
	}
	return a.Cmp(b)
}
