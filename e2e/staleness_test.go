package e2e

import (
	"testing"
	"time"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// --max-staleness through the binary: the first change on a quiet AVS goes after the debounce;
// changes that keep arriving within the budget, each after the debounce (without a budget, one
// transaction each), wait for the group and share one transaction, none older than the budget.
func TestMaxStalenessCoalesces(t *testing.T) {
	const budgetBlocks = 50
	const busy = 3
	e := newEnv(t, 1+busy, 0)
	budget := budgetBlocks * blockTime
	w := e.watchBinary(e.d.HTTPURL, e.d.WSURL, "--debounce", debounce.String(), "--max-staleness", budget.String())
	// Operators register with no stake: give them one, so that the changes below are material.
	if err := devnet.DepositAll(e.ctx, e.ops, eth(10)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("stakes stored", 60*time.Second, func() bool {
		for _, op := range e.ops {
			if !e.fresh(op.Address) {
				return false
			}
		}
		return w.gauge(`avssync_dirty_operators`) == 0
	})
	// A budget without changes: the AVS is quiet again.
	e.waitBlocks(budgetBlocks + 5)

	before := e.sent()
	rec, err := e.ops[0].Deposit(e.ctx, eth(5))
	if err != nil {
		t.Fatal(err)
	}
	first := receiptBlock(rec)
	e.waitFor("the quiet AVS's change applied", 30*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
	ups := e.stakeUpdates(e.ops[0].Address, first)
	if len(ups) == 0 || ups[0]-first > uint64(debounce/blockTime)+3 {
		t.Fatalf("change at block %d stored at %v: want within the debounce (%d blocks) + 3", first, ups, debounce/blockTime)
	}

	// Now busy: each change after the debounce of the one before.
	at := make([]uint64, busy)
	for i, op := range e.ops[1:] {
		rec, err := op.Deposit(e.ctx, eth(5))
		if err != nil {
			t.Fatal(err)
		}
		at[i] = receiptBlock(rec)
		e.waitBlocks(uint64(debounce/blockTime) + 2)
	}
	e.waitFor("the busy changes applied", 60*time.Second, func() bool {
		for _, op := range e.ops[1:] {
			if !e.fresh(op.Address) {
				return false
			}
		}
		return true
	})
	if sent := e.sent() - before; sent != 2 {
		t.Fatalf("%d transactions, want 2: the quiet change's and one for the %d busy changes", sent, busy)
	}
	var stored []uint64
	for i, op := range e.ops[1:] {
		ups := e.stakeUpdates(op.Address, at[i])
		if len(ups) == 0 {
			t.Fatalf("no OperatorStakeUpdate for busy change %d", i)
		}
		if lag := ups[0] - at[i]; lag > budgetBlocks+3 {
			t.Errorf("busy change %d at block %d stored at %d: %d blocks, want at most the budget (%d) + 3", i, at[i], ups[0], lag, budgetBlocks)
		}
		stored = append(stored, ups[0])
	}
	t.Logf("quiet change at block %d stored at %d; busy changes at blocks %v stored at %v, one transaction", first, ups[0], at, stored)
}

// An operator with a change pending that leaves the AVS has no stake left to be stale:
// avssync_stale_seconds goes back to 0 within a block of the deregistration, instead of growing
// until a restart with nothing dirty (a critical alert that never clears).
func TestStaleSecondsForgetsDeregistered(t *testing.T) {
	e := newEnv(t, 2, 0)
	// A debounce longer than the deposit and deregistration take: the deposit stays pending,
	// unresolved, until the operator has left.
	w := e.watchBinary(e.d.HTTPURL, e.d.WSURL, "--debounce", "20s")
	const stale = `avssync_stale_seconds{quorum="0"}`
	op := e.ops[0]
	if _, err := op.Deposit(e.ctx, eth(5)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the pending deposit counted as stale", 30*time.Second, func() bool { return w.gauge(stale) > 0 })
	if err := op.DeregisterFromAVS(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	dereg := e.head() // the deregistration's block or an earlier one
	var cleared uint64
	e.waitFor("the deregistration processed and a block after it", 30*time.Second, func() bool {
		if cleared == 0 && w.gauge(stale) == 0 {
			cleared = e.head()
		}
		return w.gauge("avssync_last_processed_block") > float64(dereg)
	})
	if age := w.gauge(stale); age != 0 {
		t.Fatalf("%s = %v a block after the pending operator deregistered, want 0", stale, age)
	}
	e.waitBlocks(3)
	if age := w.gauge(stale); age != 0 {
		t.Fatalf("%s = %v three blocks later, want 0", stale, age)
	}
	if d := w.gauge("avssync_dirty_operators"); d != 0 {
		t.Errorf("avssync_dirty_operators %v, want 0", d)
	}
	t.Logf("deregistered by block %d; stale_seconds 0 at block %d", dereg, cleared)
}
