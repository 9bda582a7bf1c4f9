package planner

import (
	"context"
	"fmt"
)

// CostModel predicts the gas of the two shapes a quorum's stale operators can be sent in, so the
// resolver refreshes a quorum whole only where that is the cheaper transaction. Gas grows with
// the strategies a quorum weighs: each listed operator's weight is a sum over them.
type CostModel struct {
	// UpdateBase, UpdatePerOperator and UpdatePerStrategy: updateOperators of k stale operators
	// in a quorum of s strategies costs UpdateBase + k·(UpdatePerOperator + UpdatePerStrategy·s).
	UpdateBase, UpdatePerOperator, UpdatePerStrategy float64
	// RefreshBase, RefreshPerOperator, RefreshPerStrategy and RefreshPerStale:
	// updateOperatorsForQuorum of a quorum of n operators and s strategies, k of them stale, costs
	// RefreshBase + n·(RefreshPerOperator + RefreshPerStrategy·s) + k·RefreshPerStale.
	RefreshBase, RefreshPerOperator, RefreshPerStrategy, RefreshPerStale float64
	// MaxRefreshGas is the largest refresh worth choosing (the per-transaction cap less the gas
	// limit headroom): a larger one cannot be sent whole, and its stale operators would go first
	// anyway.
	MaxRefreshGas float64
}

// DefaultCostModel is fitted (least squares, max error 5%) from transactions mined on the
// EigenDA-shaped devnet (e2e TestBenchShapeGas): quorums of 1, 2 and 10 strategies, 1 to 220
// operators. MaxRefreshGas is 16,777,216 / 1.2.
var DefaultCostModel = CostModel{
	UpdateBase: 217_519, UpdatePerOperator: 160_243, UpdatePerStrategy: 3_948,
	RefreshBase: 851_585, RefreshPerOperator: 3_816, RefreshPerStrategy: 4_052, RefreshPerStale: 146_631,
	MaxRefreshGas: 13_981_013,
}

// ECDSACostModel is DefaultCostModel's counterpart for an ECDSAStakeRegistry, fitted the same way
// from transactions mined on the ECDSA devnet (e2e TestBenchECDSAGas): 1 and 4 strategies, 1 to
// 48 operators, max error 12%. Each changed weight pushes a checkpoint, the total weight one more
// per call; an unchanged operator in a whole refresh costs only its reads.
var ECDSACostModel = CostModel{
	UpdateBase: 201_571, UpdatePerOperator: 130_252, UpdatePerStrategy: 6_238,
	RefreshBase: 168_588, RefreshPerOperator: 11_366, RefreshPerStrategy: 3_858, RefreshPerStale: 122_806,
	MaxRefreshGas: 13_981_013,
}

// UpdateGas is the predicted gas of updateOperators of stale operators of a quorum of
// strategies, in a transaction of their own.
func (m CostModel) UpdateGas(stale, strategies int) float64 {
	return m.UpdateBase + float64(stale)*(m.UpdatePerOperator+m.UpdatePerStrategy*float64(strategies))
}

// RefreshGas is the predicted gas of updateOperatorsForQuorum of one quorum.
func (m CostModel) RefreshGas(operators, strategies, stale int) float64 {
	return m.RefreshBase + float64(operators)*(m.RefreshPerOperator+m.RefreshPerStrategy*float64(strategies)) +
		float64(stale)*m.RefreshPerStale
}

// RefreshCheaper reports whether refreshing a quorum whole costs less than sending its stale
// operators with updateOperators, and fits one transaction.
func (m CostModel) RefreshCheaper(operators, strategies, stale int) bool {
	refresh := m.RefreshGas(operators, strategies, stale)
	return refresh <= m.MaxRefreshGas && refresh < m.UpdateGas(stale, strategies)
}

// ShapeChoice is the resolver's choice for one quorum with stale operators, for the log.
type ShapeChoice struct {
	Quorum     uint8
	Operators  int
	Strategies int
	Stale      int
	// UpdateGas and RefreshGas are the model's predictions; Refresh is the choice.
	UpdateGas, RefreshGas uint64
	Refresh               bool
}

// StrategyCounter is the optional read the cost model needs: how many strategies each quorum
// weighs. A StakeReader without it is taken to have one strategy per quorum.
type StrategyCounter interface {
	QuorumStrategyCounts(ctx context.Context, quorums []uint8, block uint64) (map[uint8]int, error)
}

// strategyCounts returns how many strategies each of qs weighs: from known (Batch.Strategies)
// where it has them all, else read at head where the reader can count (else none: one each).
func (rs *Resolver) strategyCounts(ctx context.Context, known map[uint8]int, qs []uint8, head uint64) (map[uint8]int, error) {
	if len(qs) == 0 {
		return map[uint8]int{}, nil
	}
	all := known != nil
	for _, q := range qs {
		if _, ok := known[q]; !ok {
			all = false
		}
	}
	if all {
		return known, nil
	}
	sc, ok := rs.reader.(StrategyCounter)
	if !ok {
		return map[uint8]int{}, nil
	}
	read, err := sc.QuorumStrategyCounts(ctx, qs, head)
	if err != nil {
		return nil, fmt.Errorf("read strategy counts of quorums %v at block %d: %w", qs, head, err)
	}
	return read, nil
}

// costPrefilter is the stale share below which no refresh can be the cheaper shape under any
// strategy count of DefaultCostModel (about 0.45 at one strategy, more with more): those quorums
// are not weighed, and no strategy count is read.
const costPrefilter = 0.4

// escalations returns the quorums of candidates (with their operator counts and stale counts)
// worth refreshing whole: by the cost model when there is one, else above the fixed ratio.
// room is the most gas a refresh may be predicted to cost (what remains of the budget; +Inf for
// none): a refresh the budget cannot pay is not chosen, so that the quorum's stale operators can
// go by value instead.
func (rs *Resolver) escalations(ctx context.Context, head uint64, candidates []uint8, operators map[uint8]int, staleIn *[256]int, room float64, known map[uint8]int, res *Resolution) (quorumSet, error) {
	var out quorumSet
	var weigh []uint8
	for _, q := range candidates {
		n, k := operators[q], staleIn[q]
		if n == 0 {
			continue
		}
		if rs.cost == nil {
			if float64(k) > rs.ratio*float64(n) {
				out.add(q)
			}
			continue
		}
		if float64(k) > costPrefilter*float64(n) {
			weigh = append(weigh, q)
		}
	}
	if len(weigh) == 0 {
		return out, nil
	}
	counts, err := rs.strategyCounts(ctx, known, weigh, head)
	if err != nil {
		return out, err
	}
	for _, q := range weigh {
		s := max(counts[q], 1)
		n, k := operators[q], staleIn[q]
		c := ShapeChoice{Quorum: q, Operators: n, Strategies: s, Stale: k,
			UpdateGas: uint64(rs.cost.UpdateGas(k, s)), RefreshGas: uint64(rs.cost.RefreshGas(n, s, k)),
			Refresh: rs.cost.RefreshCheaper(n, s, k) && rs.cost.RefreshGas(n, s, k) <= room}
		res.Choices = append(res.Choices, c)
		if c.Refresh {
			out.add(q)
		}
	}
	return out, nil
}
