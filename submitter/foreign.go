package submitter

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrForeignTransaction: transactions of the sender's address that this process did not make
// were mined (another process or wallet holds the key). The send stops before broadcasting: what
// to send is read from the chain again, since the other's transaction may have done the work.
var ErrForeignTransaction = errors.New("transactions of the sender's address made elsewhere were mined")

// maxAttributed bounds how many foreign nonces one read looks up on chain; the rest are counted
// at the upper bound (see foreign).
const maxAttributed = 64

// initKnown sets the nonce this process starts accounting from: the sender's mined nonce now. A
// failed read is retried at the next nonce read.
func (s *Sender) initKnown(ctx context.Context) {
	if s.knownSet || s.client == nil {
		return
	}
	head, err := s.client.BlockNumber(ctx)
	if err != nil {
		return
	}
	n, err := s.client.NonceAt(ctx, s.from, new(big.Int).SetUint64(head))
	if err != nil {
		return
	}
	s.known, s.knownBlock, s.knownSet = n, head, true
	// What the pool holds of the sender now was sent before this process: by an earlier run
	// (without --state-dir its record is gone) as likely as by another process.
	if pending, err := s.client.PendingNonceAt(ctx, s.from); err == nil {
		s.inherited = pending
	}
}

// ours records that the transaction of this process at nonce was mined (r).
func (s *Sender) ours(nonce uint64, r *types.Receipt) {
	if !s.knownSet || nonce < s.known {
		return
	}
	s.known = nonce + 1
	s.pruneBroadcast()
	if r.BlockNumber != nil && r.BlockNumber.Uint64() > 0 {
		s.knownBlock = r.BlockNumber.Uint64() - 1 // its nonce was at most the transaction's
	}
}

// foreign accounts for the sender's nonces below n that this process has not: each was taken by
// a transaction it did not make. Each is counted in foreign_transactions_total and, through
// OnReceipt, in the gas budget: its receipt is found by bisecting the blocks since the last
// accounted nonce for the one where the nonce passed it (eth_getTransactionCount at a block),
// then reading that block. One that cannot be found (state pruned, more than maxAttributed at
// once) is counted at the gas limit of this process's last transaction, under a hash made of
// the address and nonce: an upper bound for a transaction doing the same kind of work. One ERROR
// line names them, and the send ends with ErrForeignTransaction. A nonce the pool already held
// when this process started (an earlier run's transaction, its record lost without --state-dir)
// is counted in the budget only.
func (s *Sender) foreign(ctx context.Context, n uint64) error {
	if !s.knownSet {
		s.initKnown(ctx)
		if !s.knownSet {
			return nil
		}
	}
	if n <= s.known {
		return nil
	}
	first := s.known
	found, lo := s.foreignScan(ctx, first, s.knownBlock, n)
	return s.foreignAccount(first, n, found, lo)
}

// foreignIdle is foreign for the balance watcher, between sends: the sender's nonce and the
// receipts are read without s.mu, so a send never waits behind them, and what they found is
// accounted under it, unless a send moved the accounted nonce meanwhile (it reads the chain
// itself) or a record of this process's own is below the nonce (the next send settles it first:
// its transaction may be what was mined). Local signer only, as foreign.
func (s *Sender) foreignIdle(ctx context.Context) error {
	s.mu.Lock()
	_, local := s.c.(keyCustody)
	ready := s.knownSet && local
	first, lo := s.known, s.knownBlock
	s.mu.Unlock()
	if !ready {
		return nil
	}
	n, err := s.client.NonceAt(ctx, s.from, nil)
	if err != nil {
		return fmt.Errorf("read nonce of %s: %w", s.from, err)
	}
	if n <= first {
		return nil
	}
	found, newLo := s.foreignScan(ctx, first, lo, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known != first || s.knownBlock != lo {
		return nil
	}
	for k := range s.sent {
		if k < n {
			return nil
		}
	}
	return s.foreignAccount(first, n, found, newLo)
}

// foreignScan finds the receipts of the sender's transactions at nonces first to n-1, mined after
// block lo (whose nonce was at most first): by nonce, nil where it cannot (see foreign). It also
// returns the last block found below them. It makes node calls and touches no state of the
// Sender's, so s.mu need not be held.
func (s *Sender) foreignScan(ctx context.Context, first, lo, n uint64) ([]*types.Receipt, uint64) {
	found := make([]*types.Receipt, n-first)
	head, err := s.client.BlockNumber(ctx)
	if err != nil {
		return found, lo
	}
	blocks := map[uint64]*types.Block{}
	for k := first; k < n && k-first < maxAttributed; k++ {
		r, b := s.foreignReceipt(ctx, k, lo, head, blocks)
		if r != nil && b > 0 {
			lo = b - 1
		}
		found[k-first] = r
	}
	return found, lo
}

// foreignAccount counts the sender's nonces first to n-1 as foreign or accounted for, found being
// their receipts (nil: not found), and sets known to n and knownBlock to lo.
func (s *Sender) foreignAccount(first, n uint64, found []*types.Receipt, lo uint64) error {
	s.knownBlock = lo
	var hashes []string
	var gas uint64
	var count, unattributed uint64
	for k := first; k < n; k++ {
		r := found[k-first]
		attributed := r != nil
		if !attributed {
			r = &types.Receipt{TxHash: crypto.Keccak256Hash(s.from.Bytes(), new(big.Int).SetUint64(k).Bytes()), GasUsed: s.lastGas}
		}
		if s.onReceipt != nil {
			s.onReceipt(r.TxHash, r.GasUsed)
		}
		if attributed && slices.Contains(s.broadcast[k], r.TxHash) {
			// This process's own transaction, whose record was given up before its receipt was
			// seen: counted in the budget above, not foreign.
			s.log.Info("a transaction of this process was mined after its send gave up on it", "nonce", k, "hash", r.TxHash, "gas_used", r.GasUsed)
			continue
		}
		if k < s.inherited {
			s.log.Info("a transaction pending when this process started was mined", "nonce", k, "hash", r.TxHash, "gas_used", r.GasUsed)
			continue
		}
		count++
		gas += r.GasUsed
		switch {
		case !attributed:
			unattributed++
		case len(hashes) < 8:
			hashes = append(hashes, r.TxHash.Hex())
		}
	}
	s.known = n
	s.pruneBroadcast()
	if count == 0 {
		return nil
	}
	first = max(first, s.inherited)
	s.m.foreignTxs.Add(float64(count))
	s.log.Error("transactions from the sender's address that this process did not make were mined: another process or wallet uses the key; reading the chain again before the next send",
		"address", s.from, "count", count, "first_nonce", first, "last_nonce", n-1, "hashes", hashes,
		"gas_counted", gas, "unattributed", unattributed)
	return fmt.Errorf("%d transactions of %s at nonces %d to %d: %w", count, s.from, first, n-1, ErrForeignTransaction)
}

// foreignReceipt finds the receipt of the sender's transaction at nonce k, mined after block lo
// and at or before head, and its block; nil when it cannot.
func (s *Sender) foreignReceipt(ctx context.Context, k, lo, head uint64, blocks map[uint64]*types.Block) (*types.Receipt, uint64) {
	// The nonce at lo is at most k (knownBlock's is at most known), at hi above it.
	hi := head
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		at, err := s.client.NonceAt(ctx, s.from, new(big.Int).SetUint64(mid))
		if err != nil {
			s.log.Debug("read the sender's nonce at a block", "block", mid, "err", err)
			return nil, 0
		}
		if at > k {
			hi = mid
		} else {
			lo = mid
		}
	}
	blk := blocks[hi]
	if blk == nil {
		var err error
		if blk, err = s.client.BlockByNumber(ctx, new(big.Int).SetUint64(hi)); err != nil {
			s.log.Debug("read block", "block", hi, "err", err)
			return nil, 0
		}
		blocks[hi] = blk
	}
	signer := types.LatestSignerForChainID(s.chainID)
	for _, tx := range blk.Transactions() {
		if tx.Nonce() != k {
			continue
		}
		if from, err := types.Sender(signer, tx); err != nil || from != s.from {
			continue
		}
		r, err := s.client.TransactionReceipt(ctx, tx.Hash())
		if err != nil {
			s.log.Debug("read receipt", "hash", tx.Hash(), "err", err)
			return nil, 0
		}
		return r, hi
	}
	return nil, 0
}

// pruneBroadcast drops the hashes broadcast at nonces now accounted for (below known).
func (s *Sender) pruneBroadcast() {
	for k := range s.broadcast {
		if k < s.known {
			delete(s.broadcast, k)
		}
	}
}
