package e2e

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/planner"
)

// Units are the AVS's: a quorum weighing its strategy at multiplier 1e12 (as a 6-decimal token
// weighs at 1e18) is kept fresh by the same rule as an 18-decimal one. Under the default
// --min-stake-change a change of a twentieth of the threshold is held back in both, and a 1%
// change is stored in both within debounce + 3 blocks.
func TestMaterialityIndependentOfUnits(t *testing.T) {
	e := newEnv(t, 1, 1)
	q, err := e.owner.CreateQuorumWeighing(e.ctx, new(big.Int), big.NewInt(1e12))
	if err != nil {
		t.Fatal(err)
	}
	small, err := e.d.RegisterOperators(e.ctx, 4, 1, q)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(small[0].Close)
	in18, in6 := e.ops[0], small[0]
	// A stake of 100 tokens each to measure the changes against.
	if _, err := in18.Deposit(e.ctx, eth(100)); err != nil {
		t.Fatal(err)
	}
	if _, err := in6.Deposit(e.ctx, eth(100)); err != nil {
		t.Fatal(err)
	}
	const debounce = 2 * time.Second
	e.start(daemonOpts{debounce: debounce, minStakeChange: planner.DefaultMinStakeChange})
	fresh := func(op common.Address, quorum uint8) (bool, *big.Int) {
		stored, weight, err := e.d.Stakes(e.ctx, op, quorum)
		if err != nil {
			t.Fatal(err)
		}
		return stored.Cmp(weight) == 0, stored
	}
	ok18, stored18 := fresh(in18.Address, 0)
	ok6, stored6 := fresh(in6.Address, q)
	if !ok18 || !ok6 {
		t.Fatal("the start-up check left a stake stale")
	}
	t.Logf("stored %s in quorum 0 (multiplier 1e18), %s in quorum %d (multiplier 1e12)", stored18, stored6, q)

	// 0.005% in both, a twentieth of the threshold: held back in both.
	before := e.sent()
	dust := new(big.Int).Div(eth(100), big.NewInt(20_000))
	if _, err := in18.Deposit(e.ctx, dust); err != nil {
		t.Fatal(err)
	}
	if _, err := in6.Deposit(e.ctx, dust); err != nil {
		t.Fatal(err)
	}
	e.waitBlocks(uint64(debounce/blockTime) + 10)
	if n := e.sent() - before; n != 0 {
		t.Fatalf("%d transactions for changes of 0.005%%, a twentieth of the threshold", n)
	}

	// 1% in both: stored in both within debounce + 3 blocks of the later deposit.
	if _, err := in18.Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := in6.Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	at := e.head()
	e.waitFor("both 1% changes stored", 60*time.Second, func() bool {
		a, _ := fresh(in18.Address, 0)
		b, _ := fresh(in6.Address, q)
		return a && b
	})
	if took, budget := e.head()-at, uint64(debounce/blockTime)+3; took > budget {
		t.Fatalf("stored %d blocks after the deposits, want within debounce + 3 (%d blocks)", took, budget)
	}
}
