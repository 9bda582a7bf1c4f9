package devnet

import (
	"context"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/core/types"
)

// SetOperatorSetParams sets a quorum's operator cap and churn thresholds (owner only): it emits
// OperatorSetParamsUpdated and changes no weight.
func (a *Actor) SetOperatorSetParams(ctx context.Context, quorum uint8, maxOperators uint32) error {
	return a.send(ctx, "setOperatorSetParams", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.rc.SetOperatorSetParams(o, quorum, regcoord.ISlashingRegistryCoordinatorTypesOperatorSetParam{
			MaxOperatorCount: maxOperators, KickBIPsOfOperatorStake: 10000, KickBIPsOfTotalStake: 100,
		})
	})
}

// SetLookahead sets a quorum's slashable-stake lookahead in blocks (StakeRegistry
// setSlashableStakeLookahead, owner only): it emits LookAheadPeriodChanged, which names no quorum.
func (a *Actor) SetLookahead(ctx context.Context, quorum uint8, blocks uint32) error {
	return a.send(ctx, "setSlashableStakeLookahead", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.d.stakes.SetSlashableStakeLookahead(o, quorum, blocks)
	})
}
