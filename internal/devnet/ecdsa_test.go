package devnet_test

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/bindings/ecdsastakeregistry"
	"github.com/avs-sync/avs-sync/internal/devnet"
)

// TestProfileECDSA starts the ECDSA devnet and checks its shape and the registry's rules on
// chain: the quorum's strategies and basis points, every stored weight fresh at start, skewed
// weights with some under the minimum (stored 0), a deposit that makes exactly one operator stale
// until updateOperators stores it, updateOperatorsForQuorum refusing a list one short of the
// registered count, a deregistration storing 0, and a quorum change making operators stale.
func TestProfileECDSA(t *testing.T) {
	if testing.Short() {
		t.Skip("devnet test: starts a chain")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	d, err := devnet.Start(ctx, devnet.Options{Profile: devnet.ProfileECDSA, BlockTime: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg, err := ecdsastakeregistry.NewECDSAStakeRegistry(d.Shape.ECDSAStakeRegistry, c)
	if err != nil {
		t.Fatal(err)
	}
	call := &bind.CallOpts{Context: ctx}

	q, err := reg.Quorum(call)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Strategies) != 4 || len(d.Shape.Strategies) != 4 {
		t.Fatalf("quorum has %d strategies, shape %d; want 4", len(q.Strategies), len(d.Shape.Strategies))
	}
	sum := int64(0)
	for i, s := range q.Strategies {
		sum += s.Multiplier.Int64()
		if s.Strategy != d.Shape.Quorums[0].Strategies[i] || s.Multiplier.Cmp(d.Shape.Quorums[0].Multipliers[i]) != 0 {
			t.Errorf("strategy %d = %s × %s; shape says %s × %s", i, s.Strategy, s.Multiplier, d.Shape.Quorums[0].Strategies[i], d.Shape.Quorums[0].Multipliers[i])
		}
	}
	if sum != 10000 {
		t.Errorf("multipliers sum to %d; want 10000", sum)
	}
	if len(d.Shape.Registered) != 48 || len(d.Shape.Outsiders) != 12 {
		t.Fatalf("%d registered, %d outsiders; want 48, 12", len(d.Shape.Registered), len(d.Shape.Outsiders))
	}

	var ops []common.Address
	for _, o := range d.Shape.Registered {
		ops = append(ops, o.Address)
	}
	stored, current, err := d.ECDSAWeights(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	zero, maxW, minW, total := 0, new(big.Int), (*big.Int)(nil), new(big.Int)
	for i := range ops {
		if stored[i].Cmp(current[i]) != 0 {
			t.Errorf("operator %s: stored %s, current %s at start", ops[i], stored[i], current[i])
		}
		total.Add(total, stored[i])
		if stored[i].Sign() == 0 {
			zero++
			continue
		}
		if stored[i].Cmp(maxW) > 0 {
			maxW = stored[i]
		}
		if minW == nil || stored[i].Cmp(minW) < 0 {
			minW = stored[i]
		}
	}
	if zero == 0 || zero > 15 {
		t.Errorf("%d operators under the minimum weight; want a few", zero)
	}
	if minW == nil || new(big.Int).Div(maxW, minW).Cmp(big.NewInt(50)) < 0 {
		t.Errorf("weights from %v to %v; want skewed (max/min ≥ 50)", minW, maxW)
	}
	if tw, err := reg.GetLastCheckpointTotalWeight(call); err != nil || tw.Cmp(total) != 0 {
		t.Errorf("total weight %v, %v; want the sum %s", tw, err, total)
	}

	pop, err := d.Actors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pop.Close()
	owner, err := d.Actor(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	big0 := pop.Registered[0].Actor
	if _, err := big0.Stake(ctx, d.Shape.Strategies[0], big.NewInt(3e18)); err != nil {
		t.Fatal(err)
	}
	stale := func() []common.Address {
		t.Helper()
		s, c, err := d.ECDSAWeights(ctx, ops)
		if err != nil {
			t.Fatal(err)
		}
		var out []common.Address
		for i := range ops {
			if s[i].Cmp(c[i]) != 0 {
				out = append(out, ops[i])
			}
		}
		return out
	}
	if got := stale(); len(got) != 1 || got[0] != big0.Address {
		t.Fatalf("stale after a deposit to %s: %v", big0.Address, got)
	}
	if err := sendAndWait(ctx, owner, c, func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.UpdateOperators(o, []common.Address{big0.Address})
	}); err != nil {
		t.Fatal(err)
	}
	if got := stale(); len(got) != 0 {
		t.Fatalf("stale after updateOperators: %v", got)
	}

	// The whole-set update checks only the length of its list.
	if err := sendAndWait(ctx, owner, c, func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.UpdateOperatorsForQuorum(o, [][]common.Address{ops[1:]}, []byte{0})
	}); err == nil {
		t.Fatal("updateOperatorsForQuorum with one operator short did not revert")
	}
	reversed := append([]common.Address{}, ops...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	if err := sendAndWait(ctx, owner, c, func(o *bind.TransactOpts) (*types.Transaction, error) {
		return reg.UpdateOperatorsForQuorum(o, [][]common.Address{reversed}, nil)
	}); err != nil {
		t.Fatalf("updateOperatorsForQuorum with the whole set unsorted: %v", err)
	}

	leaver := pop.Registered[1].Actor
	if _, err := leaver.DeregisterFromECDSA(ctx); err != nil {
		t.Fatal(err)
	}
	if w, err := reg.GetLastCheckpointOperatorWeight(call, leaver.Address); err != nil || w.Sign() != 0 {
		t.Errorf("deregistered operator's stored weight %v, %v; want 0", w, err)
	}

	// A new quorum leaves every operator with stake in the changed strategies stale.
	if _, err := owner.SetECDSAQuorum(ctx, d.Shape.Quorums[0].Strategies, []uint64{1000, 2000, 3000, 4000}); err != nil {
		t.Fatal(err)
	}
	if got := stale(); len(got) < 10 {
		t.Errorf("%d operators stale after the multipliers changed; want most", len(got))
	}
}

// sendAndWait sends one call of the registry's binding from a (key-0 owner) and fails on revert.
func sendAndWait(ctx context.Context, a *devnet.Actor, c *ethclient.Client, send func(*bind.TransactOpts) (*types.Transaction, error)) error {
	o, err := bind.NewKeyedTransactorWithChainID(a.Key, big.NewInt(devnet.ChainID))
	if err != nil {
		return err
	}
	o.Context = ctx
	tx, err := send(o)
	if err != nil {
		return err
	}
	r, err := bind.WaitMined(ctx, c, tx)
	if err != nil {
		return err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return errors.New("reverted")
	}
	return nil
}
