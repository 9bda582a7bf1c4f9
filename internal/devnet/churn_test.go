package devnet_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// TestChurnJudgesStoredStake: on a quorum at its operator cap, registerOperatorWithChurn judges the
// kicked operator by its stored stake. A newcomer bringing less than the kicked operator's stale
// stored stake, but more than its weight, is refused until the stored stake is updated.
func TestChurnJudgesStoredStake(t *testing.T) {
	d := start(t, devnet.Options{Flavor: devnet.M2, BlockTime: 50 * time.Millisecond, Accounts: 8})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	owner, err := d.Actor(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()

	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	ops := make([]*devnet.Actor, 3)
	for i := range ops {
		a, err := d.Actor(ctx, 3+i)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.RegisterOperator(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Deposit(ctx, eth(int64(10*(i+1)))); err != nil {
			t.Fatal(err)
		}
		if err := a.RegisterWithAVS(ctx, 0); err != nil {
			t.Fatal(err)
		}
		ops[i] = a
	}
	members, err := d.QuorumOperators(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.SetChurnParams(ctx, 0, uint32(len(members)), 10000, 10000); err != nil {
		t.Fatal(err)
	}
	newcomer, err := d.Actor(ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	defer newcomer.Close()
	if err := newcomer.RegisterOperator(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := newcomer.Deposit(ctx, eth(15)); err != nil {
		t.Fatal(err)
	}
	// The heaviest operator withdraws to 5: the lightest by weight, 30 by stored stake.
	kicked := ops[2]
	if _, err := kicked.Withdraw(ctx, eth(25)); err != nil {
		t.Fatal(err)
	}
	stored, weight, err := d.Stakes(ctx, kicked.Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("members %d, kicked stored %s weight %s", len(members), stored, weight)
	err = newcomer.RegisterWithChurn(ctx, d.Key(0), 0, kicked.Address)
	t.Logf("churn against the stale stored stake: %v", err)
	if err == nil {
		t.Fatal("churn against the stale stored stake succeeded")
	}
	if _, err := owner.UpdateOperators(ctx, []common.Address{kicked.Address}); err != nil {
		t.Fatal(err)
	}
	if err := newcomer.RegisterWithChurn(ctx, d.Key(0), 0, kicked.Address); err != nil {
		t.Fatalf("churn against the exact stored stake: %v", err)
	}
}
