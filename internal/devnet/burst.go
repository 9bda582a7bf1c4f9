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
	if err := a.PrepareDeposits(ctx, new(big.Int).Mul(amount, big.NewInt(int64(n)))); err != nil {
		return nil, err
	}
	txs, err := a.SendDeposits(ctx, n, amount)
	if err != nil {
		return nil, err
	}
	return a.WaitDeposits(ctx, txs)
}

// PrepareDeposits mints total tokens to the actor and approves the StrategyManager for them, each
// mined before it returns.
func (a *Actor) PrepareDeposits(ctx context.Context, total *big.Int) error {
	if err := a.send(ctx, "mint", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.token.Mint(o, a.Address, total)
	}); err != nil {
		return err
	}
	return a.send(ctx, "approve", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.token.Approve(o, a.d.Addresses.StrategyManager, total)
	})
}

// SendDeposits sends n deposits of amount into the mock strategy back to back, with consecutive
// nonces, without waiting for them (PrepareDeposits first).
func (a *Actor) SendDeposits(ctx context.Context, n int, amount *big.Int) ([]*types.Transaction, error) {
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
	return txs, nil
}

// WaitDeposits waits for the receipts of deposits SendDeposits sent, in order; a revert is an
// error.
func (a *Actor) WaitDeposits(ctx context.Context, txs []*types.Transaction) ([]*types.Receipt, error) {
	receipts := make([]*types.Receipt, len(txs))
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

// DepositAllInOneBlock deposits amount for each actor, the deposits mined in one block: tokens
// are minted and approved first, then block production pauses while every deposit is sent.
func (d *Devnet) DepositAllInOneBlock(ctx context.Context, actors []*Actor, amount *big.Int) ([]*types.Receipt, error) {
	for _, a := range actors {
		if err := a.PrepareDeposits(ctx, amount); err != nil {
			return nil, err
		}
	}
	d.Pause(true)
	var txs []*types.Transaction
	for _, a := range actors {
		sent, err := a.SendDeposits(ctx, 1, amount)
		if err != nil {
			d.Pause(false)
			return nil, err
		}
		txs = append(txs, sent...)
	}
	d.Pause(false)
	receipts := make([]*types.Receipt, len(actors))
	for i, a := range actors {
		r, err := a.WaitDeposits(ctx, txs[i:i+1])
		if err != nil {
			return nil, err
		}
		receipts[i] = r[0]
	}
	if first, last := receipts[0].BlockNumber, receipts[len(receipts)-1].BlockNumber; first.Cmp(last) != 0 {
		return receipts, fmt.Errorf("deposits mined in blocks %s and %s, not one", first, last)
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
