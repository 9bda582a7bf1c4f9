package devnet

import (
	"context"
	"fmt"
	"math/big"

	allocationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/AllocationManager"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// CreateSlashableQuorum creates a total-slashable-stake quorum over the mock strategy, counting
// allocations lookahead blocks ahead (owner only), and returns its number.
func (a *Actor) CreateSlashableQuorum(ctx context.Context, lookahead uint32) (uint8, error) {
	n, err := a.rc.QuorumCount(&bind.CallOpts{Context: ctx})
	if err != nil {
		return 0, fmt.Errorf("read quorum count: %w", err)
	}
	err = a.send(ctx, "createSlashableStakeQuorum", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.rc.CreateSlashableStakeQuorum(o,
			regcoord.ISlashingRegistryCoordinatorTypesOperatorSetParam{MaxOperatorCount: 1000, KickBIPsOfOperatorStake: 10000, KickBIPsOfTotalStake: 100},
			big.NewInt(0),
			[]regcoord.IStakeRegistryTypesStrategyParams{{Strategy: a.d.Addresses.Strategy, Multiplier: big.NewInt(1e18)}},
			lookahead)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// AllocationConfigurationDelay is the AllocationManager's delay, in blocks, before an operator's
// allocation delay takes effect.
func (d *Devnet) AllocationConfigurationDelay(ctx context.Context, a *Actor) (uint32, error) {
	am, err := allocationmanager.NewContractAllocationManager(d.Addresses.AllocationManager, a.client)
	if err != nil {
		return 0, err
	}
	return am.ALLOCATIONCONFIGURATIONDELAY(&bind.CallOpts{Context: ctx})
}

// SetAllocationDelay sets the actor's (an operator's) allocation delay in blocks.
func (a *Actor) SetAllocationDelay(ctx context.Context, blocks uint32) error {
	_, err := a.el.SetAllocationDelay(ctx, a.Address, blocks, true)
	if err != nil {
		return fmt.Errorf("set allocation delay of %s: %w", a.Address, err)
	}
	return nil
}

// Allocate sets the actor's magnitude of the mock strategy to the AVS's operator set (quorum)
// and returns the receipt, whose AllocationUpdated log carries the effect block.
func (a *Actor) Allocate(ctx context.Context, quorum uint8, magnitude uint64) (*types.Receipt, error) {
	return a.AllocateTo(ctx, a.d.Addresses.ServiceManager, quorum, magnitude)
}

// AllocateTo is Allocate to the operator set (quorum) of the AVS at avs.
func (a *Actor) AllocateTo(ctx context.Context, avs common.Address, quorum uint8, magnitude uint64) (*types.Receipt, error) {
	r, err := a.el.ModifyAllocations(ctx, a.Address, []allocationmanager.IAllocationManagerTypesAllocateParams{{
		OperatorSet:   allocationmanager.OperatorSet{Avs: avs, Id: uint32(quorum)},
		Strategies:    []common.Address{a.d.Addresses.Strategy},
		NewMagnitudes: []uint64{magnitude},
	}}, true)
	if err != nil {
		return nil, fmt.Errorf("allocate %d of %s to quorum %d: %w", magnitude, a.Address, quorum, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("allocation of %s to quorum %d reverted", a.Address, quorum)
	}
	return r, nil
}

// AllocateStrategies sets the actor's magnitude of each of strategies to the AVS's operator set
// (quorum) and returns the receipt.
func (a *Actor) AllocateStrategies(ctx context.Context, quorum uint8, strategies []common.Address, magnitude uint64) (*types.Receipt, error) {
	mags := make([]uint64, len(strategies))
	for i := range mags {
		mags[i] = magnitude
	}
	r, err := a.el.ModifyAllocations(ctx, a.Address, []allocationmanager.IAllocationManagerTypesAllocateParams{{
		OperatorSet:   allocationmanager.OperatorSet{Avs: a.d.Addresses.ServiceManager, Id: uint32(quorum)},
		Strategies:    strategies,
		NewMagnitudes: mags,
	}}, true)
	if err != nil {
		return nil, fmt.Errorf("allocate %d of %s to quorum %d: %w", magnitude, a.Address, quorum, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("allocation of %s to quorum %d reverted", a.Address, quorum)
	}
	return r, nil
}

// BecomeAVS makes the actor's address an AVS in the AllocationManager with one operator set per
// quorum over the mock strategy, registering through the RegistryCoordinator: what an AVS does
// once RegistryCoordinator.setAVS points at it (the coordinator accepts only its own AVS as
// registrar).
func (a *Actor) BecomeAVS(ctx context.Context, quorums ...uint8) error {
	am, err := allocationmanager.NewContractAllocationManager(a.d.Addresses.AllocationManager, a.client)
	if err != nil {
		return err
	}
	sets := make([]allocationmanager.IAllocationManagerTypesCreateSetParams, len(quorums))
	for i, q := range quorums {
		sets[i] = allocationmanager.IAllocationManagerTypesCreateSetParams{OperatorSetId: uint32(q), Strategies: []common.Address{a.d.Addresses.Strategy}}
	}
	steps := []struct {
		what  string
		build func(*bind.TransactOpts) (*types.Transaction, error)
	}{
		{"updateAVSMetadataURI", func(o *bind.TransactOpts) (*types.Transaction, error) {
			return am.UpdateAVSMetadataURI(o, a.Address, "https://example.com/avs.json")
		}},
		{"setAVSRegistrar", func(o *bind.TransactOpts) (*types.Transaction, error) {
			return am.SetAVSRegistrar(o, a.Address, a.d.Addresses.RegistryCoordinator)
		}},
		{"createOperatorSets", func(o *bind.TransactOpts) (*types.Transaction, error) {
			return am.CreateOperatorSets(o, a.Address, sets)
		}},
	}
	for _, s := range steps {
		if err := a.send(ctx, s.what, s.build); err != nil {
			return err
		}
	}
	return nil
}
