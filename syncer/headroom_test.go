package syncer

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
)

// The headroom the next budgeted plan leaves is what the last one's transactions asked for over
// its prediction, measured only on plans of operators fitted to the budget; a transaction of
// several operators held back for the budget makes it wait for room for one of them, a refresh
// for the whole of it.
func TestBudgetHeadroomAndNeed(t *testing.T) {
	ops := []common.Address{common.HexToAddress("0x01"), common.HexToAddress("0x02"), common.HexToAddress("0x03"), common.HexToAddress("0x04")}
	held := func(kind string, ops []common.Address, estimate uint64) submitter.TxResult {
		return submitter.TxResult{Tx: submitter.Tx{Kind: kind, Operators: ops, GasEstimate: estimate},
			Outcome: submitter.NotSent, Err: fmt.Errorf("send: %w", submitter.ErrOverBudget)}
	}
	mined := submitter.TxResult{Tx: submitter.Tx{Kind: submitter.KindUpdateOperators, Operators: ops[:2], GasEstimate: 1_000_000}, Outcome: submitter.Mined}
	sent := submitter.Result{Txs: []submitter.TxResult{mined, held(submitter.KindUpdateOperators, ops, 2_000_000)}}
	limits := float64(mined.Tx.GasLimit() + sent.Txs[1].Tx.GasLimit())

	if got, want := measuredHeadroom(planner.Plan{Operators: ops, PredictedGas: 2_000_000}, sent), limits/2_000_000; got != want {
		t.Fatalf("headroom %v, want %v", got, want)
	}
	unbuilt := submitter.Result{Txs: []submitter.TxResult{mined, {Tx: submitter.Tx{Kind: submitter.KindUpdateOperators, Operators: ops[2:]}, Outcome: submitter.NotSent}}}
	if got := measuredHeadroom(planner.Plan{Operators: ops, PredictedGas: 2_000_000}, unbuilt); got != 0 {
		t.Fatalf("a part not built: headroom %v, want none measured", got)
	}
	for name, plan := range map[string]planner.Plan{
		"not fitted to a budget": {Operators: ops},
		"with a refresh":         {Operators: ops, Quorums: []planner.QuorumUpdate{{Quorum: 0}}, PredictedGas: 2_000_000},
		"churn line":             {Operators: ops, ChurnLine: true, PredictedGas: 2_000_000},
	} {
		if got := measuredHeadroom(plan, sent); got != 0 {
			t.Fatalf("%s: headroom %v, want none measured", name, got)
		}
	}

	var o outcome
	o.waits(sent)
	if want := sent.Txs[1].Tx.GasLimit() / 4; !o.overBudget || o.overBudgetGas != want {
		t.Fatalf("held updateOperators of 4: need %d (over budget %v), want one operator's share %d", o.overBudgetGas, o.overBudget, want)
	}
	refresh := held(submitter.KindUpdateOperatorsForQuorum, ops, 3_000_000)
	o = outcome{}
	o.waits(submitter.Result{Txs: []submitter.TxResult{refresh}})
	if want := refresh.Tx.GasLimit(); o.overBudgetGas != want {
		t.Fatalf("held refresh: need %d, want its whole gas limit %d", o.overBudgetGas, want)
	}
}
