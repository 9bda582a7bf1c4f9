package syncer

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
)

// cronBill prices what the cron being replaced would pay: per sync interval, one whole refresh
// (updateOperatorsForQuorum) of every quorum in scope, with every operator whose stake moved
// during the interval counted stale, priced by the cost model. It is the default gas budget
// (--max-gas-per-day cron), scaled from the interval to the budget's window: on a quiet interval
// the price of a refresh with nothing stale, on a busy one what the cron would have spent on it.
// Only the loop goroutine touches it.
type cronBill struct {
	cost planner.CostModel
	// interval is the cron's --sync-interval; window the budget's.
	interval, window time.Duration
	// shapes are the quorums in scope with their operator and strategy counts, as last loaded.
	shapes map[uint8]quorumSize
	// moved records, per quorum, when each operator was last found stale in it: the operators
	// whose stake moved during the last interval.
	moved map[uint8]map[common.Address]time.Time
	// logged is the bill last logged, so that a line is written when it moves, not per change.
	logged uint64
}

// quorumSize is what a quorum's refresh costs depend on.
type quorumSize struct{ operators, strategies int }

// defaultCronInterval prices the bill of a daemon that sweeps never (--sync-interval 0): a
// daily cron, the original tool's default.
const defaultCronInterval = 24 * time.Hour

func newCronBill(cost planner.CostModel, interval, window time.Duration) *cronBill {
	if interval <= 0 {
		interval = defaultCronInterval
	}
	window = max(window, interval)
	return &cronBill{cost: cost, interval: interval, window: window, shapes: map[uint8]quorumSize{},
		moved: map[uint8]map[common.Address]time.Time{}}
}

// setShapes replaces the quorums in scope and their sizes; quorums that left forget their moves.
func (c *cronBill) setShapes(shapes map[uint8]quorumSize) {
	c.shapes = shapes
	for q := range c.moved {
		if _, ok := shapes[q]; !ok {
			delete(c.moved, q)
		}
	}
}

// sawStale records operators found stale, by quorum, at now.
func (c *cronBill) sawStale(stale map[common.Address][]uint8, now time.Time) {
	for op, qs := range stale {
		for _, q := range qs {
			if _, ok := c.shapes[q]; !ok {
				continue
			}
			m := c.moved[q]
			if m == nil {
				m = map[common.Address]time.Time{}
				c.moved[q] = m
			}
			m[op] = now
		}
	}
}

// perWindow is the bill of one budget window at now: the bill of one interval times
// window/interval.
func (c *cronBill) perWindow(now time.Time) uint64 {
	var gas float64
	for q, s := range c.shapes {
		if s.operators == 0 {
			continue
		}
		stale := 0
		for op, at := range c.moved[q] {
			if now.Sub(at) >= c.interval {
				delete(c.moved[q], op)
				continue
			}
			stale++
		}
		gas += c.cost.RefreshGas(s.operators, max(s.strategies, 1), min(stale, s.operators))
	}
	gas *= float64(c.window) / float64(c.interval)
	switch {
	case gas >= math.MaxUint64:
		return math.MaxUint64
	case gas < 1:
		return 1 // nothing to pay for is not a budget without limit
	}
	return uint64(gas)
}

// strategyCounts is the answer of readStrategyCounts.
type strategyCounts struct {
	counts map[uint8]int
	err    error
}

// readStrategyCounts reads how many strategies each quorum in scope weighs, where the reader can
// tell (else one each).
func (s *Syncer) readStrategyCounts(ctx context.Context, scope []uint8, head uint64) strategyCounts {
	sc, ok := s.reader.(planner.StrategyCounter)
	if !ok || len(scope) == 0 {
		return strategyCounts{}
	}
	counts, err := sc.QuorumStrategyCounts(ctx, scope, head)
	if err != nil {
		return strategyCounts{err: fmt.Errorf("read strategy counts of quorums %v at block %d: %w", scope, head, err)}
	}
	return strategyCounts{counts: counts}
}

// sizeBill sets the quorums' sizes of the cron's bill (operator counts from qs) and re-prices
// the budget.
func (s *Syncer) sizeBill(qs []registry.Quorum, scope []uint8, counts map[uint8]int) {
	shapes := make(map[uint8]quorumSize, len(scope))
	for _, q := range qs {
		if slices.Contains(scope, q.Number) {
			shapes[q.Number] = quorumSize{operators: q.OperatorCount, strategies: max(counts[q.Number], 1)}
		}
	}
	s.bill.setShapes(shapes)
	s.priceBudget()
}

// priceBudget sets the budget to the cron's bill, with a line when it moved by a tenth or more
// since the last one logged.
func (s *Syncer) priceBudget() {
	limit := s.bill.perWindow(s.now())
	if !s.budget.setLimit(limit) {
		return
	}
	last := s.bill.logged
	if last == 0 || math.Abs(float64(limit)-float64(last)) >= float64(last)/10 {
		s.bill.logged = limit
		s.log.Info("gas budget follows the bill of the cron it replaces", "max_gas_per_day", limit,
			"sync_interval", s.bill.interval, "moved_operators", s.bill.movedCounts(), "window", s.bill.window)
	}
}

// strategyCounts returns a copy of the quorums' strategy counts as last loaded, for the resolver
// to price batches without reading them again.
func (c *cronBill) strategyCounts() map[uint8]int {
	out := make(map[uint8]int, len(c.shapes))
	for q, s := range c.shapes {
		out[q] = s.strategies
	}
	return out
}

// movedCounts returns, per quorum, how many operators moved during the interval, for the log.
func (c *cronBill) movedCounts() map[uint8]int {
	out := make(map[uint8]int, len(c.shapes))
	for q := range c.shapes {
		out[q] = len(c.moved[q])
	}
	return out
}
