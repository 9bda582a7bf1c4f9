package e2e

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// When the gas budget binds, what goes first is the change that stops the most stake being
// misattributed per gas, not the one that came first: two small deposits wait for the budget,
// then a 30% withdrawal of the quorum's largest operator comes; when the window frees room for
// one update, the withdrawal is sent and the deposits wait, named by the held-back gauge; when it
// frees again, they go too. Through the binary, with the budget's window shortened to 20 s.
func TestBudgetSpendsByValue(t *testing.T) {
	e := newEnv(t, 4, 0)
	first, smallA, smallB, largest := e.ops[0], e.ops[1], e.ops[2], e.ops[3]
	for _, d := range []struct {
		op     *devnet.Actor
		amount *big.Int
	}{{first, eth(2)}, {smallA, eth(2)}, {smallB, eth(2)}, {largest, eth(100)}} {
		if _, err := d.op.Deposit(e.ctx, d.amount); err != nil {
			t.Fatal(err)
		}
	}
	all := []common.Address{first.Address, smallA.Address, smallB.Address, largest.Address}
	if _, err := e.owner.UpdateOperators(e.ctx, all); err != nil {
		t.Fatal(err)
	}
	// Room for one updateOperators of one operator (about 363k gas used, a 458k gas limit), not
	// for two within the window.
	const window = 20 * time.Second
	p := e.startWatch("value", e.d.HTTPURL, e.d.WSURL, "--max-gas-per-day", "600000", "--gas-window", window.String(),
		"--debounce", "300ms", "--state-dir", t.TempDir())
	e.waitUp(p)
	held := func(op common.Address) bool {
		v, _ := p.metric(fmt.Sprintf(`avssync_held_back{operator="%s",reason="budget"}`, op.Hex()))
		return v == 1
	}
	heldCount := func() float64 { v, _ := p.metric(`avssync_held_back_operators{reason="budget"}`); return v }

	before := e.sent()
	if _, err := first.Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the first deposit stored", 30*time.Second, func() bool { return e.fresh(first.Address) })
	spentAt := time.Now()

	// Two deposits of 0.5%: the rest of the budget cannot pay for either.
	for _, op := range []*devnet.Actor{smallA, smallB} {
		if _, err := op.Deposit(e.ctx, new(big.Int).Div(eth(1), big.NewInt(100))); err != nil {
			t.Fatal(err)
		}
	}
	e.waitFor("the deposits held back for the budget", 20*time.Second, func() bool {
		p.alive(t)
		return held(smallA.Address) && held(smallB.Address)
	})
	// Then a 30% withdrawal of the largest operator.
	if _, err := largest.Unstake(e.ctx, devnet.Strategy{Address: e.d.Addresses.Strategy}, eth(30)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the withdrawal held back too", 20*time.Second, func() bool { return heldCount() == 3 })
	if time.Since(spentAt) > window {
		t.Fatalf("the three changes were held only %s after the first update, past the %s window: the test is too slow to tell the order", time.Since(spentAt), window)
	}
	sentBefore := e.sent()
	if sentBefore != before+1 {
		t.Fatalf("%d transactions while the budget was spent, want 1 (the first deposit's)", sentBefore-before)
	}

	e.waitFor("the window frees room for one update", 2*window, func() bool { p.alive(t); return e.sent() > sentBefore })
	if !e.fresh(largest.Address) {
		t.Fatal("the first update after the window freed is not the withdrawal of the largest operator")
	}
	if e.fresh(smallA.Address) || e.fresh(smallB.Address) {
		t.Fatal("a small deposit went in the same window as the withdrawal: the budget had room for one")
	}
	if m := e.methodOfNonce(sentBefore); m != "updateOperators" {
		t.Fatalf("the withdrawal went by %s, want updateOperators", m)
	}
	e.waitFor("the deposits named as waiting for the budget", 10*time.Second, func() bool {
		return held(smallA.Address) && held(smallB.Address) && !held(largest.Address)
	})
	if !p.logged("budget binds: the changes worth the most stake per gas go first") {
		t.Fatal("no line says the budget chose by value")
	}
	// Nothing is lost: the deposits go as the window frees again.
	e.waitFor("the deposits stored", 3*window, func() bool {
		p.alive(t)
		return e.fresh(smallA.Address) && e.fresh(smallB.Address)
	})
	t.Logf("withdrawal sent %d transaction(s) after the first update, the deposits after it; %d transactions in all",
		1, e.sent()-before)
}

// The budget's pace: past half the budget, a small change waits (held back for the budget, the
// budget not spent) while a 30% withdrawal of the quorum's largest operator that comes after it
// still goes at once. Three deposits spend 62% of a 1.75M budget; a fourth, smaller one, the
// least valuable of the four (its share 60%), waits; then the withdrawal (its share 92%). Through the binary, with a window of an hour
// so that none of it frees meanwhile.
func TestBudgetPaceKeepsRoomForLargeChange(t *testing.T) {
	e := newEnv(t, 5, 0)
	deposits, small, largest := e.ops[:3], e.ops[3], e.ops[4]
	var all []common.Address
	for _, op := range e.ops {
		amount := eth(2)
		if op == largest {
			amount = eth(100)
		}
		if _, err := op.Deposit(e.ctx, amount); err != nil {
			t.Fatal(err)
		}
		all = append(all, op.Address)
	}
	if _, err := e.owner.UpdateOperators(e.ctx, all); err != nil {
		t.Fatal(err)
	}
	p := e.startWatch("pace", e.d.HTTPURL, e.d.WSURL, "--max-gas-per-day", "1750000", "--gas-window", "1h",
		"--debounce", "300ms", "--state-dir", t.TempDir())
	e.waitUp(p)
	metric := func(name string) float64 { v, _ := p.metric(name); return v }
	heldSmall := fmt.Sprintf(`avssync_held_back{operator="%s",reason="budget"}`, small.Address.Hex())

	// Three deposits of half an operator's stake, one after another: about 363k gas each.
	for _, op := range deposits {
		if _, err := op.Deposit(e.ctx, eth(1)); err != nil {
			t.Fatal(err)
		}
		e.waitFor("a deposit stored", 30*time.Second, func() bool { p.alive(t); return e.fresh(op.Address) })
	}
	before := e.sent()
	// A 0.5% deposit: it fits what remains, but the window holds more than its share.
	if _, err := small.Deposit(e.ctx, new(big.Int).Div(eth(1), big.NewInt(100))); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the small deposit held back for the budget's pace", 30*time.Second, func() bool {
		p.alive(t)
		return metric(heldSmall) == 1
	})
	if ex, paced := metric("avssync_gas_budget_exhausted"), metric("avssync_gas_budget_paced"); ex != 0 || paced != 1 {
		t.Fatalf("gas budget exhausted %v paced %v while the small deposit waits, want 0 and 1", ex, paced)
	}
	if !p.logged("budget paced: past half the budget, changes worth less per gas than most wait for room within their share") {
		t.Fatal("no line says the budget held the small deposit for its pace")
	}
	// The withdrawal goes at once: the budget kept room for it.
	if _, err := largest.Unstake(e.ctx, devnet.Strategy{Address: e.d.Addresses.Strategy}, eth(30)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the withdrawal stored", 30*time.Second, func() bool { p.alive(t); return e.fresh(largest.Address) })
	if e.fresh(small.Address) || metric(heldSmall) != 1 {
		t.Fatalf("the small deposit was stored or not named as waiting (held %v)", metric(heldSmall))
	}
	if n := e.sent() - before; n != 1 {
		t.Fatalf("%d transactions after the small deposit, want 1 (the withdrawal's)", n)
	}
	t.Logf("withdrawal stored at once past half the budget; the small deposit waits")
}
