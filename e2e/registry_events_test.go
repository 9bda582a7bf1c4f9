package e2e

import (
	"math/big"
	"testing"
	"time"

	allocationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/AllocationManager"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// An operator who allocates to a slashable quorum and only then registers gains weight at the
// allocation's effect block, with no event then: avs-sync reads the operator's pending
// allocations when it registers and updates its stake at the effect block, not at the sweep.
func TestLateRegistrantAllocationCounted(t *testing.T) {
	e := newEnv(t, 0, 1)
	op, err := e.d.Actor(e.ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	const lookahead = 5
	// Long enough for avs-sync to start and the operator to register before the effect block.
	const delay = 200
	q, err := e.owner.CreateSlashableQuorum(e.ctx, lookahead)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.RegisterOperator(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Deposit(e.ctx, eth(10)); err != nil {
		t.Fatal(err)
	}
	setAllocationDelay(t, e, op, delay)
	r, err := op.Allocate(e.ctx, q, 5e17)
	if err != nil {
		t.Fatal(err)
	}
	effect := effectBlock(t, e, r)

	// avs-sync starts with the operator outside the AVS: nothing of it is loaded.
	e.start(daemonOpts{debounce: debounce})
	before := e.sent()
	if err := op.RegisterWithAVS(e.ctx, q); err != nil {
		t.Fatal(err)
	}
	registered := e.head()
	if registered >= effect {
		t.Fatalf("registered at block %d, not before the effect block %d: raise the allocation delay", registered, effect)
	}
	stored, weight, err := e.d.Stakes(e.ctx, op.Address, q)
	if err != nil {
		t.Fatal(err)
	}
	if weight.Sign() != 0 || stored.Sign() != 0 {
		t.Fatalf("before the effect block: stored %s weight %s, want 0 and 0", stored, weight)
	}
	e.waitFor("the allocation counted in the stored stake", time.Duration(effect-registered+100)*blockTime*4, func() bool {
		stored, weight, err := e.d.Stakes(e.ctx, op.Address, q)
		if err != nil {
			t.Fatal(err)
		}
		return weight.Sign() > 0 && stored.Cmp(weight) == 0
	})
	ups := e.stakeUpdates(op.Address, registered+1)
	t.Logf("registered in block %d, effect block %d (lookahead %d), stake updated in blocks %v", registered, effect, lookahead, ups)
	if len(ups) == 0 || ups[0] < effect {
		t.Fatalf("stake updates %v, want one at or after the effect block %d", ups, effect)
	}
	// The sweep would be a day away; on a loaded machine a few blocks of slack.
	if lag := ups[0] - effect; lag > 30 {
		t.Fatalf("updated %d blocks after the effect block, want <= 30", lag)
	}
	if n := e.sent() - before; n != 1 {
		t.Fatalf("%d transactions, want 1", n)
	}
}

// RegistryCoordinator.setAVS moves the operator sets that slashable weights are read under to
// another address, with no event but AVSUpdated: the allocation counted under the old address no
// longer does, and avs-sync updates the stored stake at once rather than at the sweep.
func TestAVSUpdatedRechecksSlashableWeights(t *testing.T) {
	e := newEnv(t, 1, 0)
	op := e.ops[0]
	const lookahead, delay = 2, 5
	q := slashableMember(t, e, op, lookahead, delay)
	r, err := op.Allocate(e.ctx, q, 5e17)
	if err != nil {
		t.Fatal(err)
	}
	e.d.MineBlocks(int(effectBlock(t, e, r)-receiptBlock(r)) + 1)
	// Every stake stored and fresh before avs-sync starts.
	if _, err := e.owner.UpdateOperators(e.ctx, []common.Address{op.Address}); err != nil {
		t.Fatal(err)
	}
	stored, weight, err := e.d.Stakes(e.ctx, op.Address, q)
	if err != nil {
		t.Fatal(err)
	}
	if weight.Sign() == 0 || stored.Cmp(weight) != 0 {
		t.Fatalf("before setAVS: stored %s weight %s, want equal and positive", stored, weight)
	}
	e.start(daemonOpts{debounce: debounce})
	before := e.sent()

	// The owner points the AVS at another address, which has no allocations.
	sr := setAVS(t, e, crypto.PubkeyToAddress(e.d.Key(2).PublicKey))
	if _, weight, err := e.d.Stakes(e.ctx, op.Address, q); err != nil || weight.Sign() != 0 {
		t.Fatalf("after setAVS: weight %v (%v), want 0: the new address has no allocation", weight, err)
	}
	e.waitFor("the stored stake follows the weight under the new AVS", 30*time.Second, func() bool {
		stored, weight, err := e.d.Stakes(e.ctx, op.Address, q)
		if err != nil {
			t.Fatal(err)
		}
		return stored.Cmp(weight) == 0
	})
	ups := e.stakeUpdates(op.Address, receiptBlock(sr))
	t.Logf("setAVS in block %d, stake updated in blocks %v", receiptBlock(sr), ups)
	if len(ups) == 0 || ups[0]-receiptBlock(sr) > 30 {
		t.Fatalf("stake updates %v, want one within 30 blocks of block %d", ups, receiptBlock(sr))
	}
	if n := e.sent() - before; n != 1 {
		t.Fatalf("%d transactions, want 1", n)
	}
}

// After RegistryCoordinator.setAVS the AVS's operator sets are the new address's: an operator who
// registers through them and allocates to a slashable quorum's set gains weight at the
// allocation's effect block, with no event then. avs-sync, started under the old address, keeps
// the new AVS's allocation events instead of dropping them as another AVS's, and stores the stake
// at the effect block, not at the sweep.
func TestNewAVSAllocationCounted(t *testing.T) {
	e := newEnv(t, 0, 1)
	op, err := e.d.Actor(e.ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	newAVS, err := e.d.Actor(e.ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(newAVS.Close)
	// The delay leaves avs-sync time to see the allocation before it takes effect.
	const lookahead, delay = 2, 40
	q, err := e.owner.CreateSlashableQuorum(e.ctx, lookahead)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.RegisterOperator(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Deposit(e.ctx, eth(10)); err != nil {
		t.Fatal(err)
	}
	setAllocationDelay(t, e, op, delay)

	e.start(daemonOpts{debounce: debounce})
	sr := setAVS(t, e, newAVS.Address)
	if err := newAVS.BecomeAVS(e.ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := op.RegisterWithAVSAt(e.ctx, newAVS.Address, q); err != nil {
		t.Fatal(err)
	}
	before := e.sent()
	r, err := op.AllocateTo(e.ctx, newAVS.Address, q, 5e17)
	if err != nil {
		t.Fatal(err)
	}
	effect := effectBlock(t, e, r)
	if now := e.head(); now < effect {
		if stored, weight, err := e.d.Stakes(e.ctx, op.Address, q); err != nil || weight.Sign() != 0 || stored.Sign() != 0 {
			t.Fatalf("before the effect block: stored %v weight %v (%v), want 0 and 0", stored, weight, err)
		}
	}
	e.waitFor("the allocation under the new AVS counted in the stored stake", time.Duration(delay+100)*blockTime*4, func() bool {
		stored, weight, err := e.d.Stakes(e.ctx, op.Address, q)
		if err != nil {
			t.Fatal(err)
		}
		return weight.Sign() > 0 && stored.Cmp(weight) == 0
	})
	ups := e.stakeUpdates(op.Address, receiptBlock(r))
	t.Logf("setAVS in block %d, allocation under the new AVS in block %d, effect block %d (lookahead %d), stake updated in blocks %v",
		receiptBlock(sr), receiptBlock(r), effect, lookahead, ups)
	if len(ups) == 0 || ups[0] < effect {
		t.Fatalf("stake updates %v, want one at or after the effect block %d", ups, effect)
	}
	// The sweep would be a day away; on a loaded machine a few blocks of slack.
	if lag := ups[0] - effect; lag > uint64(debounce/blockTime)+3 {
		t.Fatalf("updated %d blocks after the effect block, want <= debounce + 3", lag)
	}
	if n := e.sent() - before; n != 1 {
		t.Fatalf("%d transactions, want 1", n)
	}
}

// setAVS points the RegistryCoordinator's AVS at avs (as the owner) and returns the receipt.
func setAVS(t *testing.T, e *env, avs common.Address) *types.Receipt {
	t.Helper()
	opts, err := bind.NewKeyedTransactorWithChainID(e.d.Key(0), big.NewInt(devnet.ChainID))
	if err != nil {
		t.Fatal(err)
	}
	opts.Context = e.ctx
	tx, err := e.coordinator().SetAVS(opts, avs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := bind.WaitMined(e.ctx, e.eth, tx)
	if err != nil || r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("setAVS: receipt %+v, %v", r, err)
	}
	return r
}

// effectBlock is the effect block of the AllocationUpdated log in r.
func effectBlock(t *testing.T, e *env, r *types.Receipt) uint64 {
	t.Helper()
	f, err := allocationmanager.NewContractAllocationManagerFilterer(e.d.Addresses.AllocationManager, e.eth)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range r.Logs {
		if ev, err := f.ParseAllocationUpdated(*l); err == nil {
			return uint64(ev.EffectBlock)
		}
	}
	t.Fatal("no AllocationUpdated in the receipt")
	return 0
}
