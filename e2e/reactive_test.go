package e2e

import (
	"math/big"
	"slices"
	"testing"
	"time"

	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/watcher"
)

// debounce used by the reactive tests: 3 blocks.
const debounce = 3 * blockTime

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

// A deposit to a registered operator's staker is in the stored stake within debounce + 3 blocks.
func TestDepositUpdatedWithinBlocks(t *testing.T) {
	e := newEnv(t, 2, 0)
	e.start(daemonOpts{debounce: debounce})
	op := e.ops[0]
	r, err := op.Deposit(e.ctx, eth(2))
	if err != nil {
		t.Fatal(err)
	}
	if e.fresh(op.Address) {
		t.Fatal("stored stake already equals the new weight before any update")
	}
	e.waitFor("stored stake = weight", 20*time.Second, func() bool { return e.fresh(op.Address) })
	ups := e.stakeUpdates(op.Address, receiptBlock(r))
	if len(ups) == 0 {
		t.Fatal("no OperatorStakeUpdate after the deposit")
	}
	lag := ups[0] - receiptBlock(r)
	debounceBlocks := uint64(debounce / blockTime)
	t.Logf("deposit in block %d, stake updated in block %d: %d blocks (debounce %d blocks)", receiptBlock(r), ups[0], lag, debounceBlocks)
	if lag > debounceBlocks+3 {
		t.Fatalf("update %d blocks after the deposit, want <= debounce (%d) + 3", lag, debounceBlocks)
	}
	if !e.fresh(e.ops[1].Address) {
		t.Fatal("the untouched operator is stale")
	}
}

// Share changes of an operator not registered with the AVS cost nothing.
func TestOutsiderIgnored(t *testing.T) {
	e := newEnv(t, 1, 1)
	outsider, err := e.d.Actor(e.ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer outsider.Close()
	if err := outsider.RegisterOperator(e.ctx); err != nil {
		t.Fatal(err)
	}
	dm := e.start(daemonOpts{debounce: debounce})
	before := e.sent()
	if _, err := outsider.Deposit(e.ctx, eth(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := outsider.Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitBlocks(uint64(debounce/blockTime) + 8)
	if n := e.sent() - before; n != 0 {
		t.Fatalf("%d transactions for an operator not registered with the AVS", n)
	}
	if seen := dm.w.Status().LastBlock; seen == 0 {
		t.Fatal("watcher processed nothing: the test would pass vacuously")
	}
}

// Fifty share changes to one operator inside one debounce window cost one transaction.
func TestBurstCoalesced(t *testing.T) {
	e := newEnv(t, 1, 0)
	e.start(daemonOpts{debounce: 2 * time.Second})
	op := e.ops[0]
	before := e.sent()
	rs, err := op.DepositBurst(e.ctx, 50, big.NewInt(1e16))
	if err != nil {
		t.Fatal(err)
	}
	span := receiptBlock(rs[len(rs)-1]) - receiptBlock(rs[0])
	t.Logf("50 deposits mined over %d blocks", span+1)
	e.waitFor("stored stake = weight", 30*time.Second, func() bool { return e.fresh(op.Address) })
	e.waitBlocks(5)
	if n := e.sent() - before; n != 1 {
		t.Fatalf("%d transactions for 50 changes in one window, want 1", n)
	}
}

// A change that nets to zero inside the window is dropped as a no-op.
func TestNetZeroIsNoop(t *testing.T) {
	e := newEnv(t, 1, 0)
	e.start(daemonOpts{debounce: 3 * time.Second})
	op := e.ops[0]
	before := e.sent()
	r, err := op.Deposit(e.ctx, eth(3))
	if err != nil {
		t.Fatal(err)
	}
	shares := increasedShares(t, e, r.Logs)
	if err := op.QueueWithdrawal(e.ctx, shares); err != nil {
		t.Fatal(err)
	}
	if !e.fresh(op.Address) {
		t.Fatal("deposit and withdrawal did not net to zero")
	}
	e.waitBlocks(uint64(3*time.Second/blockTime) + 10)
	if n := e.sent() - before; n != 0 {
		t.Fatalf("%d transactions for a change that netted to zero", n)
	}
}

func increasedShares(t *testing.T, e *env, logs []*types.Log) *big.Int {
	t.Helper()
	f, err := delegationmanager.NewContractDelegationManagerFilterer(e.d.Addresses.DelegationManager, e.eth)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		if ev, err := f.ParseOperatorSharesIncreased(*l); err == nil {
			return ev.Shares
		}
	}
	t.Fatal("no OperatorSharesIncreased in the deposit")
	return nil
}

// The websocket is cut while stakes change; once it is back every change is applied.
func TestWebsocketCut(t *testing.T) {
	e := newEnv(t, 2, 0)
	dm := e.start(daemonOpts{debounce: debounce})
	e.d.CutWS(true)
	for _, op := range e.ops {
		if _, err := op.Deposit(e.ctx, eth(1)); err != nil {
			t.Fatal(err)
		}
	}
	e.waitBlocks(3)
	e.d.CutWS(false)
	e.waitFor("both operators fresh after the websocket is back", 30*time.Second, func() bool {
		return e.fresh(e.ops[0].Address) && e.fresh(e.ops[1].Address)
	})
	e.waitFor("websocket subscription restored", 20*time.Second, func() bool { return dm.w.Status().Mode == "ws" })
	if st := dm.w.Status(); st.Reconnects == 0 {
		t.Fatalf("no reconnect counted: %+v", st)
	}
	// And it keeps working on the new subscription.
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("fresh after a change on the new subscription", 20*time.Second, func() bool { return e.fresh(e.ops[0].Address) })
}

// The process stops while stakes change, then resumes from its checkpoint.
func TestRestartResumes(t *testing.T) {
	e := newEnv(t, 2, 0)
	dir := t.TempDir()
	dm := e.start(daemonOpts{debounce: debounce, stateDir: dir})
	e.waitBlocks(3)
	dm.stop(t)
	cp, ok, err := watcher.LoadCheckpoint(dir)
	if err != nil || !ok {
		t.Fatalf("no checkpoint after a clean stop: %v", err)
	}
	for _, op := range e.ops {
		if _, err := op.Deposit(e.ctx, eth(2)); err != nil {
			t.Fatal(err)
		}
	}
	dm2 := e.start(daemonOpts{debounce: debounce, stateDir: dir})
	e.waitFor("both operators fresh after the restart", 30*time.Second, func() bool {
		return e.fresh(e.ops[0].Address) && e.fresh(e.ops[1].Address)
	})
	// The startup check alone would make them fresh; the events of the stopped time must also
	// have been read, from the checkpoint on.
	e.waitFor("the deposits made while stopped observed", 10*time.Second, func() bool {
		return counter(t, dm2.reg, "avssync_events_total", "kind", "shares_changed") >= 2
	})
	t.Logf("resumed from checkpoint block %d", cp.Block)
}

// A reorg removes a share change before avs-sync acted on it: the plan follows the canonical chain.
func TestReorgFollowsCanonicalChain(t *testing.T) {
	e := newEnv(t, 1, 0)
	dm := e.start(daemonOpts{debounce: 2 * time.Second})
	op := e.ops[0]
	before := e.sent()
	storedBefore, _, err := e.d.Stakes(e.ctx, op.Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := op.Deposit(e.ctx, eth(4))
	if err != nil {
		t.Fatal(err)
	}
	// Seen first (the live path emits a block once the subscription has had two block times
	// to deliver its logs), then taken back within the debounce.
	e.waitFor("the deposit seen", 10*time.Second, func() bool {
		return counter(t, dm.reg, "avssync_events_total", "kind", "shares_changed") >= 1
	})
	if _, err := e.d.DropTx(e.ctx, r.TxHash); err != nil {
		t.Fatal(err)
	}
	_, weight, err := e.d.Stakes(e.ctx, op.Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	if weight.Cmp(storedBefore) != 0 {
		t.Fatalf("after the reorg the weight is %s, want the pre-deposit %s", weight, storedBefore)
	}
	e.waitFor("the withdrawn deposit seen as removed", 20*time.Second, func() bool { return dm.sy.Status().Removed >= 1 })
	e.waitBlocks(uint64(2*time.Second/blockTime) + 10)
	if n := e.sent() - before; n != 0 {
		t.Fatalf("%d transactions for a change the reorg removed", n)
	}
	stored, weight, err := e.d.Stakes(e.ctx, op.Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Cmp(weight) != 0 || stored.Cmp(storedBefore) != 0 {
		t.Fatalf("stored %s, weight %s, want both %s: not the canonical chain", stored, weight, storedBefore)
	}
	// A change on the new canonical chain is still applied.
	if _, err := op.Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("fresh after a post-reorg change", 20*time.Second, func() bool { return e.fresh(op.Address) })
}

// An operator whose weight drops below the quorum minimum is updated, and so removed.
func TestBelowMinimumRemoved(t *testing.T) {
	e := newEnv(t, 2, 0)
	for _, op := range e.ops {
		if _, err := op.Deposit(e.ctx, eth(2)); err != nil {
			t.Fatal(err)
		}
	}
	e.start(daemonOpts{debounce: debounce})
	e.waitFor("deposits applied", 20*time.Second, func() bool { return e.fresh(e.ops[0].Address) && e.fresh(e.ops[1].Address) })
	if err := e.owner.SetMinimumStake(e.ctx, 0, eth(1)); err != nil {
		t.Fatal(err)
	}
	victim := e.ops[1]
	// Withdraw all but a little: weight falls below the 1 ETH minimum.
	_, weight, err := e.d.Stakes(e.ctx, victim.Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := victim.QueueWithdrawal(e.ctx, new(big.Int).Sub(weight, big.NewInt(1e17))); err != nil {
		t.Fatal(err)
	}
	e.waitFor("operator removed from quorum 0", 30*time.Second, func() bool {
		ops, err := e.d.QuorumOperators(e.ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		return !slices.Contains(ops, victim.Address)
	})
	ops, _ := e.d.QuorumOperators(e.ctx, 0)
	if !slices.Contains(ops, e.ops[0].Address) {
		t.Fatal("the operator above the minimum was removed too")
	}
}

var _ = common.Address{}

// The pre-slashing (M2) deployment, without an AllocationManager, is kept fresh the same way.
func TestM2Deployment(t *testing.T) {
	e := newEnvOn(t, devnet.M2, 2, 0)
	e.start(daemonOpts{debounce: debounce})
	op := e.ops[0]
	if _, err := op.Deposit(e.ctx, eth(2)); err != nil {
		t.Fatal(err)
	}
	if e.fresh(op.Address) {
		t.Fatal("stored stake already equals the new weight before any update")
	}
	e.waitFor("stored stake = weight on M2", 20*time.Second, func() bool { return e.fresh(op.Address) })
}
