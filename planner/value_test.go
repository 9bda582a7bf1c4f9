package planner

import (
	"context"
	"math"
	"math/big"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// withTotal is s with the quorum's total stored stake set.
func withTotal(s QuorumStake, total int64) QuorumStake {
	s.Total = big.NewInt(total)
	return s
}

// What a plan the budget cannot pay for keeps: the operators whose update stops the most stake
// being misattributed, per gas, whatever the order they became dirty in; the others wait.
func TestFitBudgetKeepsMostValuable(t *testing.T) {
	big1, small1, small2, small3 := common.HexToAddress("0x04"), common.HexToAddress("0x01"), common.HexToAddress("0x02"), common.HexToAddress("0x03")
	const total = 1_000_000
	r := &fakeReader{stakes: stakesOf(
		// A 30% withdrawal of the largest operator: 120,000 of the quorum's 1,000,000 misattributed.
		registered(big1, withTotal(stake(0, 400_000, 280_000, 10), total)),
		// Three 0.5% deposits of small operators: 100 each.
		registered(small1, withTotal(stake(0, 20_000, 20_100, 10), total)),
		registered(small2, withTotal(stake(0, 20_000, 20_100, 10), total)),
		registered(small3, withTotal(stake(0, 20_000, 20_100, 10), total)),
	)}
	rs := NewResolver(r, Config{CostModel: &DefaultCostModel, FullQuorumRatio: 1})
	one := uint64((DefaultCostModel.UpdateBase + DefaultCostModel.UpdatePerOperator + DefaultCostModel.UpdatePerStrategy) * gasHeadroom)
	for _, tc := range []struct {
		name     string
		left     uint64
		limited  bool
		reason   Reason
		want     []common.Address
		deferred int
	}{
		{"room for one", one + 1, true, ReasonDirty, []common.Address{big1}, 3},
		{"room for all", 10 * one, true, ReasonDirty, []common.Address{small1, small2, small3, big1}, 0},
		{"no budget", 0, false, ReasonDirty, []common.Address{small1, small2, small3, big1}, 0},
		{"room for none", one / 2, true, ReasonDirty, nil, 4},
		{"a deadline's refresh is exempt, not operators riding with it", one + 1, true, ReasonDeadline, []common.Address{big1}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Batch{Operators: []common.Address{small1, small2, small3, big1}, Reason: tc.reason, Head: 7,
				GasLimited: tc.limited, GasLeft: tc.left}
			plan, res, err := rs.Resolve(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(plan.Operators, tc.want) {
				t.Fatalf("sent %v, want %v", plan.Operators, tc.want)
			}
			if len(res.Deferred) != tc.deferred {
				t.Fatalf("deferred %v, want %d", res.Deferred, tc.deferred)
			}
			if tc.deferred > 0 && (res.DeferredGas == 0 || res.DeferredGas > one+1) {
				t.Fatalf("deferred gas %d, want the gas limit of one operator alone (%d)", res.DeferredGas, one)
			}
			if tc.deferred > 0 && res.Ranked[0].Operator != big1 {
				t.Fatalf("ranked %v, the withdrawal first", res.Ranked)
			}
		})
	}
}

// A crossing of the quorum minimum is certificate-critical: it goes first, even when the budget
// cannot pay for it.
func TestFitBudgetCrossingFirst(t *testing.T) {
	large, leaving := common.HexToAddress("0x01"), common.HexToAddress("0x02")
	r := &fakeReader{stakes: stakesOf(
		registered(large, withTotal(stake(0, 400_000, 200_000, 100), 1_000_000)),
		registered(leaving, withTotal(stake(0, 150, 50, 100), 1_000_000)),
	)}
	rs := NewResolver(r, Config{CostModel: &DefaultCostModel, FullQuorumRatio: 1})
	plan, res, err := rs.Resolve(context.Background(), Batch{Operators: []common.Address{large, leaving}, Reason: ReasonDirty, GasLimited: true, GasLeft: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plan.Operators, []common.Address{leaving}) || !reflect.DeepEqual(res.Deferred, []common.Address{large}) {
		t.Fatalf("sent %v, deferred %v: want the crossing sent and the rest waiting", plan.Operators, res.Deferred)
	}
	if !plan.ChurnLine {
		t.Fatal("the crossing's plan is not exempt from the budget (Plan.ChurnLine)")
	}
	// With room for both, both go, the crossing ranked first, and the plan is budgeted as usual.
	plan, res, err = rs.Resolve(context.Background(), Batch{Operators: []common.Address{large, leaving}, Reason: ReasonDirty, GasLimited: true, GasLeft: 10_000_000})
	if err != nil || len(plan.Operators) != 2 || plan.ChurnLine || len(res.Deferred) != 0 {
		t.Fatalf("room for both: sent %v (exempt %v), deferred %v, %v", plan.Operators, plan.ChurnLine, res.Deferred, err)
	}
}

// The measure has no units: the same fractions of a quorum give the same value at any scale.
func TestMisattributedUnitFree(t *testing.T) {
	for _, scale := range []int64{1, 1e6, 1e12} {
		st := QuorumStake{Stored: big.NewInt(300 * scale), Weight: big.NewInt(290 * scale), Total: big.NewInt(1000 * scale)}
		if got := Misattributed(st); got != 0.01 {
			t.Fatalf("scale %d: %v, want 0.01", scale, got)
		}
	}
	if got := Misattributed(QuorumStake{Stored: big.NewInt(0), Weight: big.NewInt(5)}); got != 1 {
		t.Fatalf("no stored stake in the quorum: %v, want 1", got)
	}
}

// A batch that carries the strategy counts its owner read at the last load is priced with them:
// trimming it to the budget reads nothing more. Without them they are read once.
func TestFitBudgetUsesKnownStrategyCounts(t *testing.T) {
	a, b := common.HexToAddress("0x01"), common.HexToAddress("0x02")
	r := &strategyReader{fakeReader: &fakeReader{stakes: stakesOf(
		registered(a, withTotal(stake(0, 400_000, 280_000, 10), 1_000_000)),
		registered(b, withTotal(stake(0, 20_000, 20_100, 10), 1_000_000)),
	)}, counts: map[uint8]int{0: 10}}
	rs := NewResolver(r, Config{CostModel: &DefaultCostModel, FullQuorumRatio: 1})
	batch := Batch{Operators: []common.Address{a, b}, Reason: ReasonDirty, GasLimited: true, GasLeft: 600_000}
	if _, _, err := rs.Resolve(context.Background(), batch); err != nil || r.calls != 1 {
		t.Fatalf("without known counts: %d reads, %v; want 1", r.calls, err)
	}
	batch.Strategies = map[uint8]int{0: 10}
	plan, _, err := rs.Resolve(context.Background(), batch)
	if err != nil || r.calls != 1 {
		t.Fatalf("with known counts: %d reads in all, %v; want none more", r.calls, err)
	}
	if !reflect.DeepEqual(plan.Operators, []common.Address{a}) {
		t.Fatalf("sent %v, want the withdrawal alone", plan.Operators)
	}
}

// updateOperators writes an operator's stake in every quorum it is in: an operator of two quorums
// is priced as two writes, so that the plan kept fits the budget when it is sent (an operator
// priced as one write let a batch of them ask for more gas than remained, and the whole batch,
// its most valuable operator included, waited).
func TestFitBudgetPricesEveryQuorumOfAnOperator(t *testing.T) {
	two, one := common.HexToAddress("0x01"), common.HexToAddress("0x02")
	r := &fakeReader{stakes: stakesOf(
		// A large withdrawal, stale in quorum 0; the operator is in quorum 1 too.
		registered(two, withTotal(stake(0, 400_000, 280_000, 10), 1_000_000), withTotal(stake(1, 50_000, 50_000, 10), 500_000)),
		// A small deposit of an operator of quorum 0 only.
		registered(one, withTotal(stake(0, 20_000, 20_100, 10), 1_000_000)),
	)}
	rs := NewResolver(r, Config{CostModel: &DefaultCostModel, FullQuorumRatio: 1})
	m := DefaultCostModel
	write := m.UpdatePerOperator + m.UpdatePerStrategy
	// Room for the base and two and a half writes: the withdrawal's two, not the deposit's one
	// more (priced as one write each, both would fit).
	left := uint64((m.UpdateBase + 2.5*write) * gasHeadroom)
	plan, res, err := rs.Resolve(context.Background(), Batch{Operators: []common.Address{one, two}, Reason: ReasonDirty, Head: 7,
		GasLimited: true, GasLeft: left, Strategies: map[uint8]int{0: 1, 1: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plan.Operators, []common.Address{two}) || !reflect.DeepEqual(res.Deferred, []common.Address{one}) {
		t.Fatalf("sent %v, deferred %v: want the withdrawal alone, the deposit waiting", plan.Operators, res.Deferred)
	}
	if got := res.Ranked[0].Gas; got != 2*write {
		t.Fatalf("the operator of two quorums priced at %.0f gas, want two writes (%.0f)", got, 2*write)
	}
}

// A budgeted plan says what the model predicts it costs; with a headroom measured above the
// default, the same budget keeps fewer operators, the most valuable first.
func TestFitBudgetMeasuredHeadroom(t *testing.T) {
	big1, small1, small2 := common.HexToAddress("0x03"), common.HexToAddress("0x01"), common.HexToAddress("0x02")
	r := &fakeReader{stakes: stakesOf(
		registered(big1, withTotal(stake(0, 400_000, 280_000, 10), 1_000_000)),
		registered(small1, withTotal(stake(0, 20_000, 20_100, 10), 1_000_000)),
		registered(small2, withTotal(stake(0, 20_000, 20_200, 10), 1_000_000)),
	)}
	rs := NewResolver(r, Config{CostModel: &DefaultCostModel, FullQuorumRatio: 1})
	m := DefaultCostModel
	write := m.UpdatePerOperator + m.UpdatePerStrategy
	left := uint64((m.UpdateBase+3*write)*gasHeadroom) + 1000
	for _, tc := range []struct {
		headroom float64
		want     []common.Address
	}{
		{0, []common.Address{small1, small2, big1}},
		{1.1, []common.Address{small1, small2, big1}}, // below the default: the default
		{1.5 * gasHeadroom, []common.Address{big1}},
	} {
		plan, _, err := rs.Resolve(context.Background(), Batch{Operators: []common.Address{small1, small2, big1}, Reason: ReasonDirty, Head: 7,
			GasLimited: true, GasLeft: left, GasHeadroom: tc.headroom, Strategies: map[uint8]int{0: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(plan.Operators, tc.want) {
			t.Fatalf("headroom %v: sent %v, want %v", tc.headroom, plan.Operators, tc.want)
		}
		if want := m.UpdateBase + float64(len(tc.want))*write; math.Abs(plan.PredictedGas-want) > 1 {
			t.Fatalf("headroom %v: predicted %.0f gas, want %.0f", tc.headroom, plan.PredictedGas, want)
		}
	}
}

// Past PaceFloor of the budget's limit, a candidate spends only within its share, by its rank
// among the values seen: the small changes wait, the large one still goes, and below the floor
// everything goes.
func TestFitBudgetPace(t *testing.T) {
	big1, small1, small2, small3 := common.HexToAddress("0x04"), common.HexToAddress("0x01"), common.HexToAddress("0x02"), common.HexToAddress("0x03")
	const total = 1_000_000
	r := &fakeReader{stakes: stakesOf(
		registered(big1, withTotal(stake(0, 400_000, 280_000, 10), total)),
		registered(small1, withTotal(stake(0, 20_000, 20_100, 10), total)),
		registered(small2, withTotal(stake(0, 20_000, 20_100, 10), total)),
		registered(small3, withTotal(stake(0, 20_000, 20_100, 10), total)),
	)}
	one := uint64((DefaultCostModel.UpdateBase + DefaultCostModel.UpdatePerOperator + DefaultCostModel.UpdatePerStrategy) * gasHeadroom)
	limit := 20 * one
	for _, tc := range []struct {
		name     string
		used     uint64
		want     []common.Address
		deferred int
		share    float64
	}{
		{"below the floor everything goes", limit * 3 / 10, []common.Address{small1, small2, small3, big1}, 0, 0},
		// Ranks among the four seen, (below+1)/(seen+1): the small ones 1/5, the large one 4/5.
		{"past the small ones' share they wait", limit * 7 / 10, []common.Address{big1}, 3, PaceFloor + (1-PaceFloor)/5},
		{"past the large one's share all wait", limit * 95 / 100, nil, 4, PaceFloor + (1-PaceFloor)*4/5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := NewResolver(r, Config{CostModel: &DefaultCostModel, FullQuorumRatio: 1})
			b := Batch{Operators: []common.Address{small1, small2, small3, big1}, Reason: ReasonDirty, Head: 7,
				GasLimited: true, GasLeft: limit - tc.used, GasLimit: limit}
			plan, res, err := rs.Resolve(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(plan.Operators, tc.want) {
				t.Fatalf("sent %v, want %v", plan.Operators, tc.want)
			}
			if len(res.Deferred) != tc.deferred {
				t.Fatalf("deferred %v, want %d", res.Deferred, tc.deferred)
			}
			if math.Abs(res.PaceShare-tc.share) > 1e-9 {
				t.Fatalf("pace share %v, want %v", res.PaceShare, tc.share)
			}
		})
	}
}

// The pace's scale is the values seen: a candidate's share grows with the share of remembered
// operators worth less per gas, whatever the units, and the memory is bounded.
func TestValueHistoryShare(t *testing.T) {
	var h valueHistory
	if s := h.share(Candidate{Value: 1, Gas: 1}); s != 1 {
		t.Fatalf("share with nothing seen %v, want 1 (nothing to rank against)", s)
	}
	h.note([]Candidate{{Operator: common.HexToAddress("0x01"), Value: 1, Gas: 1}})
	if s := h.share(Candidate{Value: 1, Gas: 1}); s != PaceFloor+(1-PaceFloor)/2 {
		t.Fatalf("share of the only value seen %v, want the middle %v", s, PaceFloor+(1-PaceFloor)/2)
	}
	h = valueHistory{}
	var cands []Candidate
	for i := range valueMemory + 10 {
		cands = append(cands, Candidate{Operator: common.BigToAddress(big.NewInt(int64(i + 1))), Value: float64(i), Gas: 1})
	}
	h.note(cands)
	if len(h.perGas) != valueMemory || len(h.order) != valueMemory {
		t.Fatalf("remembers %d (%d in order), want %d", len(h.perGas), len(h.order), valueMemory)
	}
	// The oldest 10 (values 0-9) were forgotten: value 10 is the least remembered.
	if s, want := h.share(Candidate{Value: 10, Gas: 1}), PaceFloor+(1-PaceFloor)/(valueMemory+1); s != want {
		t.Fatalf("share of the least %v, want %v", s, want)
	}
	top := h.share(Candidate{Value: 1e9, Gas: 1})
	if top != 1 {
		t.Fatalf("share above all %v, want 1", top)
	}
	// Scaling every value alike changes no share.
	var scaled valueHistory
	for i := range cands {
		cands[i].Value *= 1e-12
	}
	scaled.note(cands)
	if a, b := h.share(Candidate{Value: 500, Gas: 1}), scaled.share(Candidate{Value: 500e-12, Gas: 1}); a != b {
		t.Fatalf("shares %v and %v of the same rank at two scales", a, b)
	}
	if s := h.share(Candidate{Critical: true}); s != 1 {
		t.Fatalf("critical share %v, want 1", s)
	}
}
