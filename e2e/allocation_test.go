package e2e

import (
	"testing"
	"time"

	allocationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/AllocationManager"
	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// An allocation to a slashable quorum takes effect at a later block, with no event then: avs-sync
// schedules the check for that block and updates the stake once it counts. Made while avs-sync
// runs, it is scheduled from the AllocationUpdated event; made before avs-sync starts, it is read
// from the AllocationManager at start.
func TestAllocationTakesEffectLater(t *testing.T) {
	for _, before := range []bool{false, true} {
		name := "while running"
		if before {
			name = "before start"
		}
		t.Run(name, func(t *testing.T) { testAllocation(t, before) })
	}
}

func testAllocation(t *testing.T, allocateBeforeStart bool) {
	e := newEnv(t, 1, 0)
	op := e.ops[0]
	const lookahead, delay = 5, 20
	q := slashableMember(t, e, op, lookahead, delay)
	var before uint64
	if !allocateBeforeStart {
		e.start(daemonOpts{debounce: debounce})
		before = e.sent()
	}
	r, err := op.Allocate(e.ctx, q, 5e17)
	if err != nil {
		t.Fatal(err)
	}
	if allocateBeforeStart {
		e.start(daemonOpts{debounce: debounce})
		before = e.sent()
	}
	f, err := allocationmanager.NewContractAllocationManagerFilterer(e.d.Addresses.AllocationManager, e.eth)
	if err != nil {
		t.Fatal(err)
	}
	var effect uint64
	for _, l := range r.Logs {
		if ev, err := f.ParseAllocationUpdated(*l); err == nil {
			effect = uint64(ev.EffectBlock)
		}
	}
	if effect <= receiptBlock(r) {
		t.Fatalf("effect block %d not after the allocation's block %d", effect, receiptBlock(r))
	}
	stored, weight, err := e.d.Stakes(e.ctx, op.Address, q)
	if err != nil {
		t.Fatal(err)
	}
	if weight.Sign() != 0 || stored.Sign() != 0 {
		t.Fatalf("before the effect block: stored %s weight %s, want 0 and 0", stored, weight)
	}
	e.waitFor("allocation counted in the stored stake", 30*time.Second, func() bool {
		stored, weight, err := e.d.Stakes(e.ctx, op.Address, q)
		if err != nil {
			t.Fatal(err)
		}
		return weight.Sign() > 0 && stored.Cmp(weight) == 0
	})
	ups := e.stakeUpdates(op.Address, receiptBlock(r))
	t.Logf("allocation in block %d, effect block %d (lookahead %d), stake updated in block %v", receiptBlock(r), effect, lookahead, ups)
	if len(ups) == 0 || ups[0] < effect {
		t.Fatalf("stake updates %v, want one at or after the effect block %d", ups, effect)
	}
	if lag := ups[0] - effect; lag > uint64(debounce/blockTime)+3 {
		t.Fatalf("updated %d blocks after the effect block, want <= debounce + 3", lag)
	}
	if n := e.sent() - before; n != 1 {
		t.Fatalf("%d transactions, want 1", n)
	}
}

// setAllocationDelay sets op's allocation delay and mines past the configuration delay, so that
// it is in force for op's next allocation.
func setAllocationDelay(t *testing.T, e *env, op *devnet.Actor, delay uint32) {
	t.Helper()
	if err := op.SetAllocationDelay(e.ctx, delay); err != nil {
		t.Fatal(err)
	}
	configDelay, err := e.d.AllocationConfigurationDelay(e.ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	e.d.MineBlocks(int(configDelay) + 1)
}

// slashableMember creates a slashable quorum with the lookahead, deposits 10 ETH to op and stores
// it (quorum 0 counts the deposit at once, so the new quorum is the only one that can go stale),
// sets op's allocation delay once it may, and registers op in the quorum. It returns the quorum.
func slashableMember(t *testing.T, e *env, op *devnet.Actor, lookahead, delay uint32) uint8 {
	t.Helper()
	q, err := e.owner.CreateSlashableQuorum(e.ctx, lookahead)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Deposit(e.ctx, eth(10)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.owner.UpdateOperators(e.ctx, []common.Address{op.Address}); err != nil {
		t.Fatal(err)
	}
	setAllocationDelay(t, e, op, delay)
	if err := op.RegisterWithAVS(e.ctx, q); err != nil {
		t.Fatal(err)
	}
	return q
}
