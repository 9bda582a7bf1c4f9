package e2e

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
)

// The staleness, sweep and cap tests again on the EigenDA shape (devnet.ProfileEigenDA): ten
// strategies in quorum 0, a single-strategy quorum, a slashable quorum, 240 operators.

// A deposit into one of quorum 0's ten strategies, and one into quorum 1's single strategy, are in
// the stored stakes within the debounce and a few blocks.
func TestEigenDADepositUpdatedWithinBlocks(t *testing.T) {
	e := newShapeEnv(t)
	e.start(daemonOpts{debounce: debounce})
	shape := e.d.Shape
	// Registered[150] is in quorums 0 and 1; its quorum-1 strategy is weighed by both.
	m := shape.Registered[150]
	op, err := e.d.Actor(e.ctx, m.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	single := heldStrategy(shape, m)
	r, err := op.Stake(e.ctx, shape.Strategies[single], eth(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range m.Quorums {
		stored, weight, err := e.d.Stakes(e.ctx, m.Address, q)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Cmp(weight) == 0 {
			t.Fatalf("quorum %d: stored stake already equals the new weight", q)
		}
	}
	e.waitFor("stored stake = weight in quorums 0 and 1", 60*time.Second, func() bool {
		for _, q := range m.Quorums {
			stored, weight, err := e.d.Stakes(e.ctx, m.Address, q)
			if err != nil || stored.Cmp(weight) != 0 {
				return false
			}
		}
		return true
	})
	ups := e.stakeUpdates(m.Address, receiptBlock(r))
	if len(ups) == 0 {
		t.Fatal("no OperatorStakeUpdate after the deposit")
	}
	lag := ups[0] - receiptBlock(r)
	t.Logf("deposit in block %d, stake updated in block %d: %d blocks", receiptBlock(r), ups[0], lag)
	if max := uint64(debounce/blockTime) + 10; lag > max {
		t.Fatalf("update %d blocks after the deposit, want <= %d", lag, max)
	}
}

// A refresh sweep (the bare command's) refreshes every quorum of the shape, the ten-strategy
// quorum 0 included.
func TestEigenDAPeriodicSweep(t *testing.T) {
	e := newShapeEnv(t)
	from := e.head()
	e.start(daemonOpts{debounce: debounce, syncInterval: 3 * time.Second})
	e.waitFor("two sweeps of quorum 0", 90*time.Second, func() bool { return len(e.quorumUpdates(0, from)) >= 2 })
	for q := uint8(1); q < 3; q++ {
		if len(e.quorumUpdates(q, from)) == 0 {
			t.Fatalf("quorum %d not refreshed by the sweeps", q)
		}
	}
	stored, err := e.coordinator().QuorumUpdateBlockNumber(&bind.CallOpts{Context: e.ctx}, 0)
	if err != nil {
		t.Fatal(err)
	}
	ups := e.quorumUpdates(0, from)
	if stored.Uint64() < ups[len(ups)-1] {
		t.Fatalf("quorumUpdateBlockNumber %d is older than the last sweep at %d", stored, ups[len(ups)-1])
	}
	t.Logf("quorum 0 swept at blocks %v", ups)
}

// Quorum 0's refresh needs about 10.2M gas with nothing stale; under a cap of 13M gas (with the
// 1.2 headroom: 10.8M of estimate), five stale operators (147k each) push it over. They go first with
// updateOperators, then the quorum is refreshed whole; no transaction passes the cap.
func TestEigenDASweepOverTransactionCap(t *testing.T) {
	const capGas = 13_000_000
	e := newShapeEnv(t)
	for i, op := range e.ops {
		if _, err := op.Stake(e.ctx, e.d.Shape.Strategies[i], eth(5)); err != nil {
			t.Fatal(err)
		}
	}
	from, nonce := e.head(), e.sent()
	dm := e.oneShot(daemonOpts{maxTxGas: capGas})
	if err := dm.sy.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, op := range e.ops {
		if !e.fresh(op.Address) {
			t.Fatalf("%s stale after the sweep", op.Address)
		}
	}
	if ups := e.quorumUpdates(0, from); len(ups) != 1 {
		t.Fatalf("%d refreshes of quorum 0, want 1", len(ups))
	}
	sent := e.sent() - nonce
	if sent < 3 {
		t.Fatalf("%d transactions, want the stale operators first, then the refreshes", sent)
	}
	var total uint64
	for n := nonce; n < nonce+sent; n++ {
		r := e.receiptOfNonce(n)
		total += r.GasUsed
		if r.GasUsed > capGas {
			t.Fatalf("transaction %d used %d gas, over the %d cap", n, r.GasUsed, capGas)
		}
	}
	t.Logf("%d transactions, %d gas, under a %d gas cap", sent, total, capGas)
}
