package e2e

import (
	"math/big"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// quorumUpdates returns the blocks of QuorumBlockNumberUpdated events for quorum from block from on.
func (e *env) quorumUpdates(quorum uint8, from uint64) []uint64 {
	e.t.Helper()
	rcABI, _ := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	return e.logBlocks(e.d.Addresses.RegistryCoordinator, from, rcABI.Events["QuorumBlockNumberUpdated"].ID, common.BigToHash(big.NewInt(int64(quorum))))
}

// With a short --sync-interval the daemon sweeps every quorum with updateOperatorsForQuorum.
func TestPeriodicSweep(t *testing.T) {
	e := newEnv(t, 3, 0)
	from := e.head()
	e.start(daemonOpts{debounce: debounce, syncInterval: 2 * time.Second})
	e.waitFor("two sweeps of quorum 0", 30*time.Second, func() bool { return len(e.quorumUpdates(0, from)) >= 2 })
	ups := e.quorumUpdates(0, from)
	rc := e.coordinator()
	stored, err := rc.QuorumUpdateBlockNumber(&bind.CallOpts{Context: e.ctx}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Uint64() < ups[len(ups)-1] {
		t.Fatalf("quorumUpdateBlockNumber %d is older than the last sweep at %d", stored, ups[len(ups)-1])
	}
	t.Logf("sweeps at blocks %v (2 s = 20 blocks apart)", ups)
}

// On an AVS that forbids stale stakes, avssync_stale_stakes_deadline_block{quorum} is the
// quorum's quorumUpdateBlockNumber on chain plus the withdrawal delay, and moves with each deadline
// refresh.
func TestStaleStakesDeadlineBlock(t *testing.T) {
	e := newEnv(t, 2, 0)
	const delay = 80
	dm := e.start(daemonOpts{debounce: debounce, withdrawalDelay: delay, deadlineMargin: 10})
	stored := func() uint64 {
		n, err := e.coordinator().QuorumUpdateBlockNumber(&bind.CallOpts{Context: e.ctx}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return n.Uint64()
	}
	gauge := func() uint64 { return uint64(counter(t, dm.reg, "avssync_stale_stakes_deadline_block", "quorum", "0")) }
	var first, update uint64
	e.waitFor("quorum 0's deadline from its update block", 60*time.Second, func() bool {
		update, first = stored(), gauge()
		return update > 0 && first == update+delay
	})
	var next uint64
	e.waitFor("a deadline refresh moves it", 60*time.Second, func() bool {
		update, next = stored(), gauge()
		return next > first && next == update+delay
	})
	t.Logf("deadline block %d, then %d after the refresh at block %d", first, next, update)
}

// With --sync-interval 0 avs-sync sweeps once and returns, as the original tool did.
func TestSweepOnceAndExit(t *testing.T) {
	e := newEnv(t, 3, 0)
	from := e.head()
	dm := e.oneShot(daemonOpts{})
	done := make(chan error, 1)
	go func() { done <- dm.sy.Cron(e.ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("sync-interval 0 did not return")
	}
	if ups := e.quorumUpdates(0, from); len(ups) != 1 {
		t.Fatalf("%d QuorumBlockNumberUpdated events for one sync, want 1", len(ups))
	}
}

// A quorum refresh carries every stale operator's update; with many stale it exceeds what one
// transaction may use, and the complete operator set cannot be split. avs-sync then updates the
// stale operators with updateOperators (split to fit) and refreshes the quorum after.
func TestSweepOverTransactionCap(t *testing.T) {
	const capGas = 1_000_000
	e := newEnv(t, 5, 0)
	if err := devnet.DepositAll(e.ctx, e.ops, eth(1)); err != nil {
		t.Fatal(err)
	}
	from := e.head()
	nonce := e.sent()
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
		t.Fatalf("%d quorum refreshes, want 1", len(ups))
	}
	sent := e.sent() - nonce
	if sent < 3 {
		t.Fatalf("%d transactions, want the stale operators in several updateOperators and one refresh", sent)
	}
	for n := nonce; n < nonce+sent; n++ {
		r := e.receiptOfNonce(n)
		if r.GasUsed > capGas {
			t.Fatalf("transaction %d used %d gas, over the %d cap", n, r.GasUsed, capGas)
		}
	}
	t.Logf("%d transactions under a %d gas cap", sent, capGas)
}
