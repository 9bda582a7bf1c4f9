package e2e

import (
	"math/big"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
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
