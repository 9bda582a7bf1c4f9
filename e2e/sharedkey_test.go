package e2e

import (
	"testing"
	"time"
)

// Two avs-sync binaries with their own state directories and one key, pricing differently (one's
// minimum tip is 2 gwei, the other's 0.1): they race for the same nonces. Each counts the other's
// mined transactions (foreign_transactions_total, one ERROR line each) and their gas in its
// budget, and one that finds the other's transaction reads the chain again instead of sending
// the same work at the next nonce: at most one mined transaction per stake change, and together
// they spend within one --max-gas-per-day.
func TestSharedKeyOneSpend(t *testing.T) {
	e := newEnv(t, 1, 0)
	// Two updates of one operator (about 400k gas used, a 490k-610k gas limit) fit; a third is
	// held back, its limit above what is left.
	const budget = 1_000_000
	args := func(extra ...string) []string {
		return append([]string{"--state-dir", t.TempDir(), "--max-gas-per-day", "1000000", "--debounce", debounce.String(), "--balance-interval", "1s"}, extra...)
	}
	a := e.watchBinary(e.d.HTTPURL, e.d.WSURL, args()...)
	b := e.watchBinary(e.d.HTTPURL, e.d.WSURL, args("--min-priority-fee-per-gas", "2")...)
	op := e.ops[0].Address
	before := e.sent()
	const changes = 6
	held := func() bool {
		return a.gauge(`avssync_held_back_operators{reason="budget"}`) == 1 && b.gauge(`avssync_held_back_operators{reason="budget"}`) == 1
	}
	for i := range changes {
		if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
			t.Fatal(err)
		}
		e.waitFor("the change stored, or held back by both", 60*time.Second, func() bool { return e.fresh(op) || held() })
		// Both done with it: a loser's retry reads the chain and finds nothing to send.
		e.waitFor("both idle", 60*time.Second, func() bool {
			return a.gauge("avssync_dirty_operators") == 0 && b.gauge("avssync_dirty_operators") == 0 || held()
		})
		t.Logf("change %d: stored %v, %d transactions so far", i+1, e.fresh(op), e.sent()-before)
	}
	mined := e.sent() - before
	var total uint64
	for n := before; n < before+mined; n++ {
		total += e.receiptOfNonce(n).GasUsed
	}
	// Each counts the other's transactions once it reads the nonce (after its balance fell, read every
	// --balance-interval while idle).
	e.waitFor("both budgets count every transaction of the key", 60*time.Second, func() bool {
		return a.gauge("avssync_gas_used_24h") == float64(total) && b.gauge("avssync_gas_used_24h") == float64(total)
	})
	fa, fb := a.gauge("avssync_foreign_transactions_total"), b.gauge("avssync_foreign_transactions_total")
	t.Logf("%d changes: %d transactions mined, %d gas in all (budget %d); foreign: a %v, b %v; own gas: a %v, b %v; ERROR lines: a %d, b %d",
		changes, mined, total, budget, fa, fb, a.gauge("avssync_gas_used_total"), b.gauge("avssync_gas_used_total"),
		a.count(foreignMsg), b.count(foreignMsg))
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
	if got := a.count(foreignMsg) + b.count(foreignMsg); got == 0 || got > int(mined) {
		t.Errorf("%d ERROR lines naming foreign transactions for %d mined", got, mined)
	}
	if !held() {
		t.Error("neither held a change back: the budget never bound")
	}
}

// foreignMsg is the ERROR line of transactions of the key made elsewhere.
const foreignMsg = "transactions from the sender's address that this process did not make were mined: another process or wallet uses the key; reading the chain again before the next send"
