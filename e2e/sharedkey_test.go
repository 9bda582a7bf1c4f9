package e2e

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/params"

	"github.com/avs-sync/avs-sync/planner"
)

// Two daemons with their own state directories and one key, pricing differently (one's minimum
// tip is 2 gwei): they race for the same nonces. Each counts the other's mined transactions
// (foreign_transactions_total) and their gas in its budget, and one that finds the other's
// transaction reads the chain again instead of sending the same work at the next nonce: at most
// one mined transaction per stake change, and together they spend within one --max-gas-per-day.
func TestSharedKeyOneSpend(t *testing.T) {
	e := newEnv(t, 1, 0)
	// Two updateOperators of one operator (about 364k gas used, a 456k gas limit): the third is
	// held back, its limit above what is left.
	const budget = 1_000_000
	a := e.start(daemonOpts{debounce: debounce, stateDir: t.TempDir(), maxGasPerDay: budget, watchBalance: true})
	b := e.start(daemonOpts{debounce: debounce, stateDir: t.TempDir(), maxGasPerDay: budget, watchBalance: true,
		minTip: big.NewInt(2 * params.GWei)})
	op := e.ops[0].Address
	before := e.sent()
	const changes = 6
	held := func() bool {
		return counter(t, a.reg, "avssync_held_back_operators", "reason", planner.HeldBudget) == 1 &&
			counter(t, b.reg, "avssync_held_back_operators", "reason", planner.HeldBudget) == 1
	}
	for i := range changes {
		if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
			t.Fatal(err)
		}
		e.waitFor("the change stored or held back by both", 60*time.Second, func() bool { return e.fresh(op) || held() })
		e.waitFor("both idle", 60*time.Second, func() bool {
			sa, sb := a.sy.Status(), b.sy.Status()
			return sa.Processing == 0 && sb.Processing == 0 && (e.fresh(op) || held())
		})
		t.Logf("change %d: fresh %v, %d transactions so far", i+1, e.fresh(op), e.sent()-before)
	}
	mined := e.sent() - before
	var total uint64
	for n := before; n < before+mined; n++ {
		total += e.receiptOfNonce(n).GasUsed
	}
	// Each counts the other's transactions once it reads the nonce (every 2 blocks while idle).
	e.waitFor("both budgets count every transaction of the key", 30*time.Second, func() bool {
		return counter(t, a.reg, "avssync_gas_used_24h") == float64(total) && counter(t, b.reg, "avssync_gas_used_24h") == float64(total)
	})
	fa, fb := counter(t, a.reg, "avssync_foreign_transactions_total"), counter(t, b.reg, "avssync_foreign_transactions_total")
	t.Logf("%d changes: %d transactions mined, %d gas in all (budget %d); foreign: a %v, b %v; a's own %v gas, b's %v",
		changes, mined, total, budget, fa, fb, counter(t, a.reg, "avssync_gas_used_total"), counter(t, b.reg, "avssync_gas_used_total"))
	if mined > changes {
		t.Errorf("%d transactions mined for %d stake changes", mined, changes)
	}
	if mined == 0 {
		t.Fatal("nothing mined: the test did not exercise the race")
	}
	if total > budget {
		t.Errorf("the two spent %d gas together, over one --max-gas-per-day of %d", total, budget)
	}
	if fa+fb != float64(mined) {
		t.Errorf("foreign transactions a %v + b %v, want each of the %d mined counted by the one that did not send it", fa, fb, mined)
	}
	if !held() {
		t.Errorf("neither held a change back: the budget never bound (raise changes or lower the budget)")
	}
}
