package devnet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/params"
)

// DropTx reorganises the chain so that the mined transaction tx is gone for good: the chain is
// forked at the parent of tx's block, and the fork's first block holds, instead of tx, a plain
// transfer from the same sender with the same nonce. (A reorganisation alone would not do: the
// simulated backend puts the transactions of dropped blocks back into its pool and mines them
// again.) It returns the number of the block tx was in; the fork's head is that block's
// replacement, from which block production carries on.
func (d *Devnet) DropTx(ctx context.Context, tx common.Hash) (uint64, error) {
	var dropped uint64
	err := d.WithBackend(func(b *simulated.Backend) error {
		c := b.Client()
		receipt, err := c.TransactionReceipt(ctx, tx)
		if err != nil {
			return fmt.Errorf("receipt of %s: %w", tx, err)
		}
		orig, _, err := c.TransactionByHash(ctx, tx)
		if err != nil {
			return fmt.Errorf("transaction %s: %w", tx, err)
		}
		signer := types.LatestSignerForChainID(big.NewInt(ChainID))
		from, err := types.Sender(signer, orig)
		if err != nil {
			return fmt.Errorf("sender of %s: %w", tx, err)
		}
		key := d.keyOf(from)
		if key == nil {
			return fmt.Errorf("sender %s of %s is not a devnet account", from, tx)
		}
		dropped = receipt.BlockNumber.Uint64()
		parent, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(dropped-1))
		if err != nil {
			return fmt.Errorf("parent of block %d: %w", dropped, err)
		}
		if err := b.Fork(parent.Hash()); err != nil {
			return fmt.Errorf("fork at block %d: %w", parent.Number, err)
		}
		// Fork begins by settling the pool: a second call makes the pool take back the dropped
		// blocks' transactions now, so that the replacement below can outbid tx. It then refuses
		// to fork again because those transactions are pending, which is expected.
		if err := b.Fork(parent.Hash()); err != nil && err.Error() != "pending block dirty" {
			return fmt.Errorf("settle the pool after forking: %w", err)
		}
		tip := new(big.Int).Add(new(big.Int).Mul(orig.GasTipCap(), big.NewInt(2)), big.NewInt(params.GWei))
		feeCap := new(big.Int).Add(new(big.Int).Mul(orig.GasFeeCap(), big.NewInt(2)), tip)
		repl, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{
			ChainID:   big.NewInt(ChainID),
			Nonce:     orig.Nonce(),
			GasTipCap: tip,
			GasFeeCap: feeCap,
			Gas:       params.TxGas,
			To:        &from,
		})
		if err != nil {
			return fmt.Errorf("sign replacement of %s: %w", tx, err)
		}
		if err := c.SendTransaction(ctx, repl); err != nil {
			return fmt.Errorf("send replacement of %s: %w", tx, err)
		}
		b.Commit()
		if _, err := c.TransactionReceipt(ctx, tx); !errors.Is(err, ethereum.NotFound) {
			return fmt.Errorf("transaction %s still mined after the fork (receipt error %v)", tx, err)
		}
		return nil
	})
	return dropped, err
}

func (d *Devnet) keyOf(addr common.Address) *ecdsa.PrivateKey {
	for _, k := range d.keys {
		if crypto.PubkeyToAddress(k.PublicKey) == addr {
			return k
		}
	}
	return nil
}

// ReincludeLater reorganises the chain so that the mined transaction tx moves one block later: the
// chain is forked at the parent of tx's block, the fork's first block is empty, and tx is mined
// again in the block after it, once between calls to between (nil: none) the caller has seen the
// empty block as the head. Block production must be paused (Pause) so that no other block comes
// in between. It returns the block tx was in and the block it is in now.
func (d *Devnet) ReincludeLater(ctx context.Context, tx common.Hash, between func() error) (dropped, reincluded uint64, err error) {
	var orig *types.Transaction
	err = d.WithBackend(func(b *simulated.Backend) error {
		orig, dropped, err = unmine(ctx, b, tx)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if between != nil {
		if err := between(); err != nil {
			return 0, 0, err
		}
	}
	err = d.WithBackend(func(b *simulated.Backend) error {
		c := b.Client()
		if err := c.SendTransaction(ctx, orig); err != nil {
			return fmt.Errorf("send %s again: %w", tx, err)
		}
		b.Commit()
		receipt, err := c.TransactionReceipt(ctx, tx)
		if err != nil {
			return fmt.Errorf("receipt of %s after re-inclusion: %w", tx, err)
		}
		reincluded = receipt.BlockNumber.Uint64()
		return nil
	})
	return dropped, reincluded, err
}

// Unmine reorganises the chain so that the mined transaction tx is gone and nothing takes its
// nonce: the chain is forked at the parent of tx's block and the fork's first block is empty.
// The sender's nonce on the chain goes back to tx's. It returns the number of the block tx was
// in; block production carries on from the fork.
func (d *Devnet) Unmine(ctx context.Context, tx common.Hash) (uint64, error) {
	var dropped uint64
	err := d.WithBackend(func(b *simulated.Backend) error {
		var err error
		_, dropped, err = unmine(ctx, b, tx)
		return err
	})
	return dropped, err
}

// unmine forks the chain at the parent of tx's block and commits an empty block in its place. It
// returns tx and the number of the block it was in.
func unmine(ctx context.Context, b *simulated.Backend, tx common.Hash) (*types.Transaction, uint64, error) {
	c := b.Client()
	receipt, err := c.TransactionReceipt(ctx, tx)
	if err != nil {
		return nil, 0, fmt.Errorf("receipt of %s: %w", tx, err)
	}
	orig, _, err := c.TransactionByHash(ctx, tx)
	if err != nil {
		return nil, 0, fmt.Errorf("transaction %s: %w", tx, err)
	}
	dropped := receipt.BlockNumber.Uint64()
	parent, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(dropped-1))
	if err != nil {
		return nil, 0, fmt.Errorf("parent of block %d: %w", dropped, err)
	}
	if err := b.Fork(parent.Hash()); err != nil {
		return nil, 0, fmt.Errorf("fork at block %d: %w", parent.Number, err)
	}
	// The pool takes the dropped blocks' transactions back (see DropTx); they are cleared so
	// that the fork's first block goes without them.
	if err := b.Fork(parent.Hash()); err != nil && err.Error() != "pending block dirty" {
		return nil, 0, fmt.Errorf("settle the pool after forking: %w", err)
	}
	b.Rollback()
	b.Commit()
	if _, err := c.TransactionReceipt(ctx, tx); !errors.Is(err, ethereum.NotFound) {
		return nil, 0, fmt.Errorf("transaction %s still mined in the fork's first block (receipt error %v)", tx, err)
	}
	return orig, dropped, nil
}
