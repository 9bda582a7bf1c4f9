package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/registry"
)

// A reader whose registry addresses are not the ones the coordinator points at (as after a
// repoint in an address directory) reads the coordinator's, follows them once, and then reads
// the real registries. The devnet's registries are immutable, so the reader starts from stale
// addresses instead: the coordinator's answer is the move.
func TestRegistriesFollowed(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := dial(t, d.HTTPURL)
	real, err := registry.Discover(ctx, client, discoverConfig(d))
	if err != nil {
		t.Fatal(err)
	}
	stale := real
	stale.StakeRegistry = common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	stale.IndexRegistry = common.HexToAddress("0x000000000000000000000000000000000000bEEF")
	r, err := registry.NewReader(client, stale)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Quorums(ctx, 0); err == nil {
		t.Fatal("quorums read through registries without code")
	}

	regs, err := r.Registries(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if regs.StakeRegistry != real.StakeRegistry || regs.IndexRegistry != real.IndexRegistry {
		t.Fatalf("registries %+v, want the coordinator's %s and %s", regs, real.StakeRegistry, real.IndexRegistry)
	}
	if !r.SetRegistries(regs) {
		t.Fatal("SetRegistries reported no change from the stale addresses")
	}
	if got := r.Contracts(); got.StakeRegistry != real.StakeRegistry || got.IndexRegistry != real.IndexRegistry {
		t.Fatalf("contracts after the move %+v", got)
	}
	if r.SetRegistries(regs) {
		t.Fatal("SetRegistries reported a change for the same addresses")
	}

	// The quorums read through the new addresses, with their operator caps.
	owner, err := d.Actor(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	qs, err := r.Quorums(ctx, 0)
	if err != nil || len(qs) == 0 {
		t.Fatalf("quorums after the move: %v, %v", qs, err)
	}
	if qs[0].MaxOperators == 0 {
		t.Fatalf("quorum 0 cap not read: %+v", qs[0])
	}
	if err := owner.SetChurnParams(ctx, 0, uint32(qs[0].OperatorCount+1), 10000, 10000); err != nil {
		t.Fatal(err)
	}
	if qs, err = r.Quorums(ctx, 0); err != nil || int(qs[0].MaxOperators) != qs[0].OperatorCount+1 || qs[0].Full() {
		t.Fatalf("quorum 0 after setting its cap one above its count: %+v, %v", qs[0], err)
	}
}
