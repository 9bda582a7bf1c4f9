package devnet

import (
	"context"
	"fmt"
	"math/big"

	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Withdraw is QueueWithdrawal returning the receipt, for callers that need the block and
// position at which the operator's shares fell.
func (a *Actor) Withdraw(ctx context.Context, shares *big.Int) (*types.Receipt, error) {
	opts, err := a.txm.GetNoSendTxOpts()
	if err != nil {
		return nil, err
	}
	opts.Context = ctx
	tx, err := a.dm.QueueWithdrawals(opts, []delegationmanager.IDelegationManagerTypesQueuedWithdrawalParams{{
		Strategies:           []common.Address{a.d.Addresses.Strategy},
		DepositShares:        []*big.Int{shares},
		DeprecatedWithdrawer: a.Address,
	}})
	if err != nil {
		return nil, fmt.Errorf("queueWithdrawals from %s: %w", a.Address, err)
	}
	r, err := a.txm.Send(ctx, tx, true)
	if err != nil {
		return nil, fmt.Errorf("queueWithdrawals from %s: %w", a.Address, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("queueWithdrawals from %s reverted in tx %s", a.Address, r.TxHash)
	}
	return r, nil
}
