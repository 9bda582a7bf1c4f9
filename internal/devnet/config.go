package devnet

import (
	"context"
	"crypto/ecdsa"
	"fmt"

	eigentypes "github.com/Layr-Labs/eigensdk-go/types"
	"github.com/ethereum/go-ethereum/common"

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

// SetChurnParams sets a quorum's operator cap and churn thresholds (owner only), in basis points:
// a newcomer must bring more than kickOfOperator of the kicked operator's stored stake, and the
// kicked operator's stored stake must be below kickOfTotal of the quorum's total.
func (a *Actor) SetChurnParams(ctx context.Context, quorum uint8, maxOperators uint32, kickOfOperator, kickOfTotal uint16) error {
	return a.send(ctx, "setOperatorSetParams", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.rc.SetOperatorSetParams(o, quorum, regcoord.ISlashingRegistryCoordinatorTypesOperatorSetParam{
			MaxOperatorCount: maxOperators, KickBIPsOfOperatorStake: kickOfOperator, KickBIPsOfTotalStake: kickOfTotal,
		})
	})
}

// RegisterWithChurn registers the actor, already an EigenLayer operator, with the AVS in quorum,
// which is at its operator cap, kicking kick out (RegistryCoordinator.registerOperatorWithChurn,
// pre-slashing deployment): approver signs as the coordinator's churn approver. The coordinator
// judges the churn by kick's stored stake.
func (a *Actor) RegisterWithChurn(ctx context.Context, approver *ecdsa.PrivateKey, quorum uint8, kick common.Address) error {
	blsKey, err := a.blsKey()
	if err != nil {
		return err
	}
	qs := eigentypes.QuorumNums{eigentypes.QuorumNum(quorum)}
	r, err := a.avs.RegisterOperatorWithChurn(ctx, a.Key, approver, blsKey, qs, qs, []common.Address{kick}, "localhost:9000", true)
	if err != nil {
		return fmt.Errorf("register %s in quorum %d kicking %s: %w", a.Address, quorum, kick, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return fmt.Errorf("register %s in quorum %d kicking %s reverted in tx %s", a.Address, quorum, kick, r.TxHash)
	}
	return nil
}
