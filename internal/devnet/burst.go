package devnet

import (
	"context"
	"fmt"
	"math/big"
	"time"

	strategymanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StrategyManager"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/core/types"
)

// DepositBurst makes n deposits of amount each as fast as the chain takes them: the tokens are
// minted and approved once, then the n deposit transactions are sent back to back with
// consecutive nonces and mined together. It returns the receipts in order.
func (a *Actor) DepositBurst(ctx context.Context, n int, amount *big.Int) ([]*types.Receipt, error) {
	total := new(big.Int).Mul(amount, big.NewInt(int64(n)))
	if err := a.send(ctx, "mint", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.token.Mint(o, a.Address, total)
	}); err != nil {
		return nil, err
	}
	if err := a.send(ctx, "approve", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.token.Approve(o, a.d.Addresses.StrategyManager, total)
	}); err != nil {
		return nil, err
	}
	sm, err := strategymanager.NewContractStrategyManager(a.d.Addresses.StrategyManager, a.client)
	if err != nil {
		return nil, err
	}
	opts, err := bind.NewKeyedTransactorWithChainID(a.Key, big.NewInt(ChainID))
	if err != nil {
		return nil, err
	}
	nonce, err := a.client.PendingNonceAt(ctx, a.Address)
	if err != nil {
		return nil, fmt.Errorf("read nonce of %s: %w", a.Address, err)
	}
	opts.Context = ctx
	opts.GasLimit = 1_000_000 // a first deposit takes ~740k; estimating each would see the state before the earlier ones
	txs := make([]*types.Transaction, n)
	for i := range txs {
		opts.Nonce = new(big.Int).SetUint64(nonce + uint64(i))
		if txs[i], err = sm.DepositIntoStrategy(opts, a.d.Addresses.Strategy, a.d.Addresses.Token, amount); err != nil {
			return nil, fmt.Errorf("send deposit %d of %d from %s: %w", i+1, n, a.Address, err)
		}
	}
	receipts := make([]*types.Receipt, n)
	for i, tx := range txs {
		r, err := a.waitReceipt(ctx, tx)
		if err != nil {
			return nil, fmt.Errorf("wait for deposit %d of %s: %w", i+1, a.Address, err)
		}
		if r.Status != types.ReceiptStatusSuccessful {
			return nil, fmt.Errorf("deposit %d of %s reverted", i+1, a.Address)
		}
		receipts[i] = r
	}
	return receipts, nil
}

// waitReceipt polls for tx's receipt at a pace suited to the devnet's fast blocks.
func (a *Actor) waitReceipt(ctx context.Context, tx *types.Transaction) (*types.Receipt, error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if r, err := a.client.TransactionReceipt(ctx, tx.Hash()); err == nil {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
