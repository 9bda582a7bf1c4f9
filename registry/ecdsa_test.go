package registry_test

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/registry"
)

// TestECDSAReader reads the ECDSA devnet: discovery, the operator set from registration events
// (at the head and at an older block), stored against current weight for registered,
// unregistered and under-minimum operators, a deposit making exactly one operator stale, and a
// deregistration leaving the set.
func TestECDSAReader(t *testing.T) {
	if testing.Short() {
		t.Skip("devnet test: starts a chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	d := startDevnet(t, devnet.Options{Profile: devnet.ProfileECDSA, BlockTime: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	client := dial(t, d.HTTPURL)

	c, err := registry.DiscoverECDSA(ctx, client, registry.ECDSAConfig{StakeRegistry: d.Shape.ECDSAStakeRegistry, DelegationManager: d.Addresses.DelegationManager, ChainID: devnet.ChainID})
	if err != nil {
		t.Fatal(err)
	}
	r, err := registry.NewECDSAReader(client, c, 0, 7, registry.WithBatchSize(40))
	if err != nil {
		t.Fatal(err)
	}
	var want []common.Address
	for _, o := range d.Shape.Registered {
		want = append(want, o.Address)
	}
	slices.SortFunc(want, common.Address.Cmp)
	head := blockNumber(ctx, t, client)
	got, err := r.AllOperators(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("AllOperators = %d operators; want the %d registered", len(got), len(want))
	}

	ops := append(slices.Clone(want), d.Shape.Outsiders[0].Address)
	stakes, err := r.OperatorStakes(ctx, ops, head)
	if err != nil {
		t.Fatal(err)
	}
	stored, current, err := d.ECDSAWeights(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	for i, s := range stakes {
		if i == len(ops)-1 {
			if s.Registered || len(s.Quorums) != 0 {
				t.Errorf("outsider %s read as registered: %+v", s.Operator, s)
			}
			continue
		}
		if !s.Registered || len(s.Quorums) != 1 || s.Quorums[0].Quorum != registry.ECDSAQuorum {
			t.Fatalf("operator %s: %+v; want registered in quorum 0", s.Operator, s)
		}
		q := s.Quorums[0]
		if q.Stored.Cmp(stored[i]) != 0 || q.Weight.Cmp(current[i]) != 0 {
			t.Errorf("operator %s: stored %s weight %s; chain says %s, %s", s.Operator, q.Stored, q.Weight, stored[i], current[i])
		}
		if q.Weight.Sign() == 0 {
			zero++
		}
	}
	if zero == 0 {
		t.Error("no operator under the minimum weight read as weight 0")
	}

	pop, err := d.Actors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pop.Close()
	mover, leaver := pop.Registered[2].Actor, pop.Registered[3].Actor
	if _, err := mover.Stake(ctx, d.Shape.Strategies[0], big.NewInt(2e18)); err != nil {
		t.Fatal(err)
	}
	if _, err := leaver.DeregisterFromECDSA(ctx); err != nil {
		t.Fatal(err)
	}
	after := blockNumber(ctx, t, client)
	stakes, err = r.OperatorStakes(ctx, []common.Address{mover.Address, leaver.Address}, after)
	if err != nil {
		t.Fatal(err)
	}
	if q := stakes[0].Quorums[0]; q.Stored.Cmp(q.Weight) == 0 {
		t.Errorf("after a deposit, %s reads fresh: stored %s weight %s", mover.Address, q.Stored, q.Weight)
	}
	if stakes[1].Registered {
		t.Errorf("deregistered %s reads as registered", leaver.Address)
	}
	now, err := r.AllOperators(ctx, after)
	if err != nil {
		t.Fatal(err)
	}
	if len(now) != len(want)-1 || slices.Contains(now, leaver.Address) {
		t.Errorf("after a deregistration: %d operators, leaver listed %v", len(now), slices.Contains(now, leaver.Address))
	}
	// An older block still sees the leaver (the settled set is not used below itself).
	then, err := r.AllOperators(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(then, want) {
		t.Errorf("AllOperators at block %d after reading %d: %d operators; want %d", head, after, len(then), len(want))
	}
	if n, err := r.QuorumStrategyCounts(ctx, []uint8{0}, after); err != nil || n[0] != 4 {
		t.Errorf("QuorumStrategyCounts = %v, %v; want 4 strategies", n, err)
	}
	qs, err := r.Quorums(ctx, after)
	if err != nil || len(qs) != 1 || qs[0].OperatorCount != len(want)-1 || qs[0].Minimum.Cmp(devnet.ECDSAMinimumWeight) != 0 {
		t.Errorf("Quorums = %+v, %v", qs, err)
	}
}

// TestDiscoverECDSARefusesOtherContracts: a RegistryCoordinator given as an ECDSA registry is
// named, any other contract is ErrNotARegistry, an address without code is ErrNoContract.
func TestDiscoverECDSARefusesOtherContracts(t *testing.T) {
	if testing.Short() {
		t.Skip("devnet test: starts a chain")
	}
	d := startDevnet(t, devnet.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := dial(t, d.HTTPURL)
	for _, tc := range []struct {
		name string
		addr common.Address
		want error
	}{
		{"registry coordinator", d.Addresses.RegistryCoordinator, registry.ErrNotARegistry},
		{"delegation manager", d.Addresses.DelegationManager, registry.ErrNotARegistry},
		{"no code", common.HexToAddress("0x1234"), registry.ErrNoContract},
	} {
		_, err := registry.DiscoverECDSA(ctx, client, registry.ECDSAConfig{StakeRegistry: tc.addr, DelegationManager: d.Addresses.DelegationManager})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
		t.Logf("%s: %v", tc.name, err)
	}
}
