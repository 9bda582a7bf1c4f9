package planner

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// The model reproduces what was mined on the EigenDA-shaped devnet, and says where a whole
// refresh is the cheaper shape: only for a one-strategy quorum of about 66 to 85 operators, all
// stale. Larger, the refresh passes the per-transaction cap; a ten-strategy quorum never wins.
func TestCostModel(t *testing.T) {
	m := DefaultCostModel
	for _, tt := range []struct {
		name                     string
		operators, strategies, k int
		refresh                  bool
	}{
		{"quorum 0 (210 x 10), 30 stale", 210, 10, 30, false},
		{"quorum 0 (210 x 10), 189 stale (the old 0.9 ratio)", 210, 10, 190, false},
		{"quorum 0 (210 x 10), all stale", 210, 10, 210, false},
		{"quorum 1 (55 x 1), all stale", 55, 1, 55, false},
		{"80 x 1, all stale", 80, 1, 80, true},
		{"80 x 1, 70 stale", 80, 1, 70, false},
		{"150 x 1, all stale (over the cap)", 150, 1, 150, false},
		{"60 x 10, all stale", 60, 10, 60, false},
	} {
		if got := m.RefreshCheaper(tt.operators, tt.strategies, tt.k); got != tt.refresh {
			t.Errorf("%s: refresh cheaper %v, want %v (refresh %.0f, update %.0f)", tt.name, got, tt.refresh,
				m.RefreshGas(tt.operators, tt.strategies, tt.k), m.UpdateGas(tt.k, tt.strategies))
		}
	}
	// Within 5% of transactions mined on the devnet (TestBenchShapeGas).
	for _, mined := range []struct {
		name string
		pred float64
		gas  float64
	}{
		{"refresh of quorum 0, nothing stale", m.RefreshGas(210, 10, 0), 10_187_540},
		{"refresh of quorum 1, nothing stale", m.RefreshGas(55, 1, 0), 1_277_041},
		{"updateOperators of 30 in quorum 0", m.UpdateGas(30, 10), 6_205_601},
		{"updateOperators of 20 in quorum 1", m.UpdateGas(20, 1), 3_505_892},
	} {
		if r := mined.pred / mined.gas; r < 0.95 || r > 1.05 {
			t.Errorf("%s: predicted %.0f, mined %.0f", mined.name, mined.pred, mined.gas)
		}
	}
}

// strategyReader is a fakeReader that also counts strategies per quorum.
type strategyReader struct {
	*fakeReader
	counts map[uint8]int
	calls  int
}

func (s *strategyReader) QuorumStrategyCounts(_ context.Context, quorums []uint8, _ uint64) (map[uint8]int, error) {
	s.calls++
	out := map[uint8]int{}
	for _, q := range quorums {
		out[q] = s.counts[q]
	}
	return out, nil
}

// With the cost model the resolver escalates by predicted gas, not by share: a one-strategy
// quorum of 80 all stale is refreshed whole, a ten-strategy quorum of the same size is not, and
// a quorum under the prefilter's share does not cost a strategy read.
func TestResolveCostModel(t *testing.T) {
	var ops0, ops1, ops2 []common.Address
	stakes := map[common.Address]OperatorStake{}
	for i := range 80 {
		a, b, c := addr(1000+i), addr(2000+i), addr(3000+i)
		ops0, ops1, ops2 = append(ops0, a), append(ops1, b), append(ops2, c)
		stakes[a] = registered(a, stake(0, 10, 12, 1))
		stakes[b] = registered(b, stake(1, 10, 12, 1))
		if i < 10 {
			stakes[c] = registered(c, stake(2, 10, 12, 1))
		} else {
			stakes[c] = registered(c, stake(2, 10, 10, 1))
		}
	}
	r := &strategyReader{fakeReader: &fakeReader{stakes: stakes, sets: map[uint8][]common.Address{0: ops0, 1: ops1, 2: ops2}},
		counts: map[uint8]int{0: 1, 1: 10, 2: 1}}
	batch := Batch{Operators: append(append(append([]common.Address{}, ops0...), ops1...), ops2[:10]...), Head: 7}
	plan, res, err := NewResolver(r, Config{CostModel: &DefaultCostModel}).Resolve(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Quorums) != 1 || plan.Quorums[0].Quorum != 0 || res.Escalated != 1 {
		t.Fatalf("quorums %+v escalated %d, want quorum 0 refreshed whole", plan.Quorums, res.Escalated)
	}
	if len(plan.Operators) != 90 {
		t.Fatalf("%d operators for updateOperators, want quorum 1's 80 and quorum 2's 10", len(plan.Operators))
	}
	if len(res.Choices) != 2 || r.calls != 1 {
		t.Fatalf("choices %+v after %d strategy reads, want quorums 0 and 1 weighed in one read", res.Choices, r.calls)
	}
}
