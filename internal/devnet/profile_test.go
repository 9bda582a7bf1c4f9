package devnet_test

import (
	"context"
	"log/slog"
	"math/big"
	"sort"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// TestProfileEigenDA starts the EigenDA-shaped devnet twice (the first may build the cached
// state, the second starts from the cache) and checks its shape on chain: three quorums, ten
// strategies in quorum 0, the member counts, skewed stake, and every stored stake fresh.
func TestProfileEigenDA(t *testing.T) {
	if testing.Short() {
		t.Skip("devnet test: starts a chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, round := range []string{"first", "cached"} {
		began := time.Now()
		d, err := devnet.Start(ctx, devnet.Options{Profile: devnet.ProfileEigenDA, BlockTime: 100 * time.Millisecond, Accounts: 2, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s start: %v", round, time.Since(began).Round(time.Millisecond))
		func() {
			defer d.Close()
			checkEigenDAShape(t, ctx, d)
		}()
	}
}

func checkEigenDAShape(t *testing.T, ctx context.Context, d *devnet.Devnet) {
	t.Helper()
	c, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := regcoord.NewContractRegistryCoordinator(d.Addresses.RegistryCoordinator, c)
	if err != nil {
		t.Fatal(err)
	}
	opts := &bind.CallOpts{Context: ctx}
	if n, err := rc.QuorumCount(opts); err != nil || n != 3 {
		t.Fatalf("quorumCount = %d, %v; want 3", n, err)
	}
	srAddr, err := rc.StakeRegistry(opts)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := stakeregistry.NewContractStakeRegistry(srAddr, c)
	if err != nil {
		t.Fatal(err)
	}
	wantStrategies := map[uint8]int{0: 10, 1: 1, 2: 2}
	wantMembers := map[uint8]int{0: 210, 1: 55, 2: 35}
	for q := uint8(0); q < 3; q++ {
		n, err := sr.StrategyParamsLength(opts, q)
		if err != nil || n.Int64() != int64(wantStrategies[q]) {
			t.Errorf("quorum %d: %v strategies, %v; want %d", q, n, err, wantStrategies[q])
		}
		ops, err := d.QuorumOperators(ctx, q)
		if err != nil || len(ops) != wantMembers[q] {
			t.Errorf("quorum %d: %d operators, %v; want %d", q, len(ops), err, wantMembers[q])
		}
	}
	if st, err := sr.StakeTypePerQuorum(opts, 2); err != nil || st != 1 {
		t.Errorf("quorum 2 stake type = %d, %v; want 1 (slashable)", st, err)
	}
	twoQuorums := 0
	for _, o := range d.Shape.Registered {
		if len(o.Quorums) == 2 {
			twoQuorums++
		}
	}
	if twoQuorums < 50 {
		t.Errorf("%d operators in two quorums, want at least 50", twoQuorums)
	}
	var weights []*big.Int
	for _, o := range d.Shape.Registered {
		for _, q := range o.Quorums {
			stored, weight, err := d.Stakes(ctx, o.Address, q)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Cmp(weight) != 0 || weight.Sign() == 0 {
				t.Errorf("operator %s quorum %d: stored %v, weight %v; want equal and positive", o.Address, q, stored, weight)
			}
			if q == 0 {
				weights = append(weights, weight)
			}
		}
	}
	sort.Slice(weights, func(i, j int) bool { return weights[i].Cmp(weights[j]) > 0 })
	total, top := new(big.Int), new(big.Int)
	for i, w := range weights {
		total.Add(total, w)
		if i < len(weights)/10 {
			top.Add(top, w)
		}
	}
	share, _ := new(big.Rat).SetFrac(top, total).Float64()
	t.Logf("quorum 0: largest %v, median %v, smallest %v; top 10%% of operators hold %.0f%% of the stake",
		weights[0], weights[len(weights)/2], weights[len(weights)-1], 100*share)
	if share < 0.5 {
		t.Errorf("top 10%% hold %.0f%% of quorum 0's stake; want a skewed distribution (>50%%)", 100*share)
	}
}
