package submitter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Lifecycle defaults.
const (
	// DefaultResubmissionTimeout is how long a transaction may stay unmined before it is re-priced
	// (Optimism's txmgr default).
	DefaultResubmissionTimeout = 48 * time.Second
	// nonceTooLowLimit is how many "nonce too low" answers one Send takes before it gives up
	// (Optimism's SafeAbortNonceTooLowCount).
	nonceTooLowLimit = 3
	// cancelTimeout bounds a Fireblocks cancel sent after the send's own deadline passed.
	cancelTimeout = 30 * time.Second
)

// errNonceTaken: another transaction was mined at the nonce; what this one does is not done.
var errNonceTaken = errors.New("nonce taken by another transaction")

// Sender owns the lifecycle of the sender's transactions: nonce, fees within the configured
// limits, replacement pricing, resubmission, error classification and the sender's balance. Its
// one Send takes what to call and returns the receipt; callers never see a fee. What differs
// between a local key and Fireblocks is its custody, chosen with the signer.
//
// Sends never overlap (mu). The key must be avs-sync's alone: a transaction still pending at the
// sender's mined nonce is one an earlier send gave up on, and the next send replaces it.
type Sender struct {
	client  *ethclient.Client
	b       broadcaster
	c       custody
	from    common.Address
	chainID *big.Int
	limits  FeeLimits
	cfg     SignerConfig
	log     *slog.Logger
	m       *senderMetrics
	now     func() time.Time

	// mu serialises Send and guards sent and the balance gauges' inputs.
	mu sync.Mutex
	// sent holds, for every nonce at or above the sender's mined nonce when last read, what was
	// broadcast there (or what the pool said holds it): a replacement is priced above its fees.
	// Entries below the mined nonce are dropped. It is written to stateDir after every change,
	// so a restart prices above what the previous process left in the pool.
	sent map[uint64]*nonceRecord
	// known is the sender's mined nonce as this process has accounted for it: every nonce below
	// was mined by this process or counted as foreign. knownBlock is a block whose nonce was at
	// most known. Both are set from the first read (knownSet); local signer only (Fireblocks
	// picks its own nonces, and a vault may be shared on purpose).
	known, knownBlock uint64
	knownSet          bool
	// broadcast holds, by nonce, the hashes of every transaction this process broadcast at a
	// nonce not yet accounted for (at or above known): one of them found mined by foreign is this
	// process's own, whatever became of its record (a receipt backend that lagged, a resend of
	// the same bytes answered "nonce too low"). Entries below known are dropped.
	broadcast map[uint64][]common.Hash
	// inherited is the sender's pending nonce when this process started: a nonce below it that
	// is mined by another transaction is counted in the budget, not as foreign.
	inherited uint64
	// lastGas is the gas limit of the last transaction this process broadcast: the gas counted
	// for a foreign transaction whose receipt cannot be found (an upper bound for its kind).
	lastGas uint64
	// onReceipt, when set, is told of every receipt of the sender's transactions the Sender
	// sees, reverted or not, for this send's work or another's (see OnReceipt).
	onReceipt func(hash common.Hash, gasUsed uint64)
	// floor is the lowest nonce that can still be free: one past the sender's own last mined
	// transaction, or what a "nonce too low" answer named. A backend behind the one that mined
	// answers an older nonce; the sender never goes below what it knows, unless the chain at
	// floorBlock (the block the floor was learned at: the transaction's, or the head when the
	// node named it; 0 when unknown) says otherwise: a reorganisation dropped the transaction.
	floor, floorBlock uint64
	// lowWarned: the low-balance warning was logged and the balance has not recovered since.
	lowWarned bool
	// landed holds, by work, the receipts nonce found for records below the mined nonce: a send
	// whose own earlier attempt was mined while it was re-pricing (its replacement answered
	// "nonce too low") takes that receipt instead of doing the same work again at the next
	// nonce. Send empties it after each nonce read.
	landed map[common.Hash]*types.Receipt
	// needed is what the last transaction refused for want of funds would have cost at most;
	// nil once a transaction went out. out_of_funds is 1 exactly while it is set and the balance
	// is below it.
	needed *big.Int
}

// TxRequest is what a send is to do: call To with Data, paying Value (nil: nothing).
// GasEstimate, the caller's estimate, is a floor for the Sender's own.
type TxRequest struct {
	To          common.Address
	Data        []byte
	Value       *big.Int
	GasEstimate uint64
}

// Send prices, signs, broadcasts and re-prices the transaction req describes until it is mined or
// ctx ends, and returns the receipt, reverted or not. Fees above the caps are ErrFeeAboveCap
// (nothing sent), a sender that cannot pay is ErrOutOfFunds, a call that reverts in its gas
// estimate wraps the node's revert error.
func (s *Sender) Send(ctx context.Context, req TxRequest) (*types.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.To == (common.Address{}) {
		return nil, errors.New("send: no destination (contract creation is not supported)")
	}
	work := workOf(req)
	estimate, err := s.estimate(ctx, req)
	if err != nil {
		return nil, err
	}
	gas := gasLimit(estimate)
	tooLow := 0
	var nextBump time.Time // when a replacement the caps forbade is tried again
	for {
		nonce, err := s.nonce(ctx)
		if err != nil {
			return nil, err
		}
		r, done := s.landed[work]
		clear(s.landed)
		if done {
			s.log.Info("an earlier attempt of this send was mined", "hash", r.TxHash, "block", r.BlockNumber)
			s.done(ctx, r, estimate) // counted by nonce when it found it
			return r, nil
		}
		if k, ok := s.c.follow(ctx, nonce, work); ok {
			nonce = k // follow the transaction already doing this work
		}
		rec := s.sent[nonce]
		if rec != nil && s.c.dead(rec) {
			s.forget(nonce)
			s.persist()
			rec = nil
		}
		if s.shouldBroadcast(ctx, rec, work, nextBump) {
			err := s.broadcastAt(ctx, nonce, req, work, gas)
			switch {
			case errors.Is(err, errNonceTooLow):
				tooLow++
				if tooLow >= nonceTooLowLimit {
					return nil, fmt.Errorf("send at nonce %d: %d nonce too low answers, giving up: %w", nonce, tooLow, err)
				}
				continue
			case errors.Is(err, errUnderpriced):
				continue // priced again above what the pool holds
			case errors.Is(err, errCapsForbid):
				nextBump = s.now().Add(s.cfg.resubmission())
			case (errors.Is(err, ErrFeeAboveCap) || errors.Is(err, ErrOutOfFunds)) && s.pendingWork(nonce, work):
				// This work is already pending at the nonce: a replacement cannot go out, but the
				// transaction in the pool may still be mined. Wait for it rather than report the
				// work as unsent (it would be sent again once it was mined).
				s.log.Info("no replacement for now: waiting for the pending transaction", "nonce", nonce, "err", err)
				nextBump = s.now().Add(s.cfg.resubmission())
			case err != nil:
				return nil, err
			}
		}
		receipt, err := s.await(ctx, nonce, work, nextBump)
		switch {
		case err == nil:
			s.raiseFloor(nonce+1, receipt.BlockNumber)
			s.mined(ctx, receipt, estimate)
			return receipt, nil
		case errors.Is(err, errNonceTaken), errors.Is(err, errResubmit):
			continue
		}
		return nil, err
	}
}

// shouldBroadcast decides, at a nonce holding rec, whether to broadcast now or wait for what is
// pending there.
func (s *Sender) shouldBroadcast(ctx context.Context, rec *nonceRecord, work common.Hash, nextBump time.Time) bool {
	if rec == nil {
		return true
	}
	if s.now().Before(nextBump) {
		return false
	}
	last := rec.last()
	if last == nil {
		return true // the pool holds something unknown: replace it, priced above what it said
	}
	if s.c.mustWait(ctx, rec, last) {
		return false
	}
	if last.Work != work {
		return true // replace abandoned work with current work
	}
	return s.now().Sub(last.At) >= s.cfg.resubmission()
}

// pendingWork reports whether a live attempt at nonce does work.
func (s *Sender) pendingWork(nonce uint64, work common.Hash) bool {
	rec := s.sent[nonce]
	if rec == nil {
		return false
	}
	for _, a := range rec.live() {
		if a.Work == work {
			return true
		}
	}
	return false
}

// Broadcast outcomes the Send loop acts on.
var (
	errNonceTooLow = errors.New("nonce refused")
	errUnderpriced = errors.New("price refused")
	errCapsForbid  = errors.New("the caps leave no room for a replacement")
	errResubmit    = errors.New("resubmission due")
)

// broadcastAt prices and broadcasts req at nonce, replacing what is recorded there. Each step
// returns the error the Send loop acts on: fees above the cap, caps that leave no room for a
// replacement, no funds, or the pool's refusal.
func (s *Sender) broadcastAt(ctx context.Context, nonce uint64, req TxRequest, work common.Hash, gas uint64) error {
	price, baseFee, err := s.price(ctx)
	if err != nil {
		return err
	}
	rec, price, err := s.replacementPrice(ctx, nonce, price)
	if err != nil {
		return err
	}
	replacing := rec != nil
	if err := s.checkFunds(ctx, gas, price.FeeCap, req.Value); err != nil {
		return err
	}
	tx := types.NewTx(&types.DynamicFeeTx{
		ChainID:   s.chainID,
		Nonce:     nonce,
		GasTipCap: price.Tip,
		GasFeeCap: price.FeeCap,
		Gas:       gas,
		To:        &req.To,
		Value:     req.Value,
		Data:      req.Data,
	})
	rec, unrecord := s.writeAhead(nonce, price)
	id, err := s.b.broadcast(ctx, tx)
	if err := s.judge(ctx, nonce, id, err, !replacing, unrecord, price, gas); err != nil {
		return err
	}
	s.recordSent(nonce, rec, attempt{ID: id, Work: work, Tip: price.Tip, FeeCap: price.FeeCap, At: s.now()}, gas, replacing)
	s.log.Info("transaction sent", "nonce", nonce, "id", id, "tip_gwei", Gwei(price.Tip), "fee_cap_gwei", Gwei(price.FeeCap),
		"base_fee_gwei", Gwei(baseFee), "gas_limit", gas, "replacement", replacing)
	return nil
}

// replacementPrice prices a send at nonce above what is recorded there, if anything is: it
// returns the record a send replaces (nil: a fresh send) and the price, or errCapsForbid when a
// replacement 12.5% above it would pass the caps. A record of what the pool no longer holds is
// forgotten, and the send is fresh.
func (s *Sender) replacementPrice(ctx context.Context, nonce uint64, price fees) (*nonceRecord, fees, error) {
	rec := s.sent[nonce]
	if rec == nil {
		return nil, price, nil
	}
	p, ok := s.limits.replacement(rec.fees(), price)
	if ok {
		return rec, p, nil
	}
	if s.nothingPending(ctx, nonce, rec) {
		// The pool no longer holds what was recorded (dropped, node restarted): there is nothing
		// to replace, and waiting for it would wait forever.
		s.log.Warn("the pool holds nothing at the nonce recorded as pending: forgetting the record, sending fresh",
			"nonce", nonce, "recorded", rec.fees().String())
		s.forget(nonce)
		s.persist()
		return nil, price, nil
	}
	s.log.Warn("a replacement 12.5% above the pending transaction would exceed the fee caps: waiting for it",
		"nonce", nonce, "pending", rec.fees().String(), "max_fee_gwei", Gwei(s.limits.MaxFeePerGas),
		"max_priority_fee_gwei", Gwei(s.limits.MaxPriorityFeePerGas))
	return rec, fees{}, errCapsForbid
}

// writeAhead records price at nonce before the broadcast, and returns the record and what takes
// it back. A process killed between the broadcast and its record would leave a transaction in the
// pool whose price the next run does not know. A send refused outright takes the record back; one
// whose answer is unclear keeps it (a replacement then pays 12.5% more, within the caps, or the
// record is dropped once the pool shows nothing there).
func (s *Sender) writeAhead(nonce uint64, price fees) (*nonceRecord, func()) {
	rec := s.sent[nonce]
	fresh := rec == nil
	var before nonceRecord
	if fresh {
		rec = &nonceRecord{}
		s.sent[nonce] = rec
	} else {
		before = *rec
	}
	rec.raise(price)
	s.persist()
	return rec, func() {
		if fresh {
			delete(s.sent, nonce)
		} else {
			*rec = before
		}
		s.persist()
	}
}

// judge classifies the pool's answer to a broadcast at nonce (err, the transaction's id): nil
// when the transaction is in the pool (sent, or already known), else the error the Send loop acts
// on. unrecord takes the write-ahead record back where nothing of this send can be in the pool.
func (s *Sender) judge(ctx context.Context, nonce uint64, id string, err error, fresh bool, unrecord func(), price fees, gas uint64) error {
	kind := classify(err)
	if kind == kindNonceTooLow || kind == kindInsufficientFunds {
		unrecord() // refused outright: nothing of this send is in the pool
	}
	if kind != "" {
		s.m.sendErrors.WithLabelValues(kind).Inc()
	}
	switch kind {
	case "":
		return nil
	case kindAlreadyKnown:
		// The pool holds exactly this transaction: it was sent, its answer was lost.
		s.log.Info("transaction already known to the node: waiting for it", "nonce", nonce, "hash", id)
		return nil
	case kindUnderpriced:
		// Something at least this price holds the nonce: price the next try above it.
		if fresh && !s.poolHolds(ctx, nonce) {
			// A first send refused with nothing pending at the nonce: the pool is full, not
			// holding a transaction of ours. Recording it would make every later send a
			// replacement; the caller retries with its backoff.
			unrecord()
			s.log.Warn("transaction underpriced with nothing pending at the nonce (pool full?): nothing sent", "nonce", nonce, "tried", price.String(), "err", err)
			return fmt.Errorf("send at nonce %d: %w", nonce, err)
		}
		s.log.Warn("replacement underpriced: pricing above what the pool holds", "nonce", nonce, "tried", price.String(), "err", err)
		return fmt.Errorf("%w: %w", errUnderpriced, err)
	case kindNonceTooLow:
		if next, ok := nextNonce(err); ok && next > nonce {
			s.floorFromNode(ctx, next)
		}
		s.log.Warn("nonce too low: reading the nonce again", "nonce", nonce, "floor", s.floor, "err", err)
		return fmt.Errorf("%w: %w", errNonceTooLow, err)
	case kindInsufficientFunds:
		s.needed = new(big.Int).Mul(new(big.Int).SetUint64(gas), price.FeeCap)
		s.m.outOfFunds.Set(1)
		s.log.Warn("sender out of funds: nothing sent, the update waits for funds", "sender", s.from, "err", err)
		return fmt.Errorf("send at nonce %d: %w: %w", nonce, ErrOutOfFunds, err)
	}
	return fmt.Errorf("send at nonce %d: %w", nonce, err)
}

// recordSent adds the attempt a, broadcast at nonce with gas, to its record: a transaction went
// out, so nothing waits on fees or funds any more.
func (s *Sender) recordSent(nonce uint64, rec *nonceRecord, a attempt, gas uint64, replacing bool) {
	if replacing {
		s.m.replacements.Inc()
	}
	s.c.broadcasted(nonce, a.ID)
	s.lastGas = gas
	rec.Attempts = append(rec.Attempts, a)
	s.persist()
	s.m.feeCapBlocked.Set(0)
	s.m.outOfFunds.Set(0)
	s.needed = nil
}

// poolHolds reports whether the node's pending nonce shows a transaction of the sender pending at
// nonce. A failed read answers true: the record is kept, as before.
func (s *Sender) poolHolds(ctx context.Context, nonce uint64) bool {
	pending, err := s.client.PendingNonceAt(ctx, s.from)
	if err != nil {
		s.log.Debug("read pending nonce", "err", err)
		return true
	}
	return pending > nonce
}

// nothingPending reports whether nothing recorded at nonce can still be pending: the node's
// pending nonce does not go past it, or the node surely holds none of the recorded attempts.
func (s *Sender) nothingPending(ctx context.Context, nonce uint64, rec *nonceRecord) bool {
	return !s.poolHolds(ctx, nonce) || s.c.unknownToNode(ctx, rec)
}

// await waits for a transaction at nonce doing work to be mined. It returns errResubmit when
// the latest attempt has waited the resubmission timeout, errNonceTaken when something else was
// mined at the nonce, and on ctx's end (cancelling Fireblocks transactions not yet broadcast) an
// error wrapping ctx's.
func (s *Sender) await(ctx context.Context, nonce uint64, work common.Hash, nextBump time.Time) (*types.Receipt, error) {
	poll := s.cfg.ReceiptPollInterval
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		rec := s.sent[nonce]
		if rec == nil || s.c.dead(rec) {
			return nil, errNonceTaken // nothing live at the nonce: send again
		}
		mined := s.c.minedNonce(ctx)
		unsure := false // a receipt lookup failed: one of ours may be what was mined
		for _, a := range rec.live() {
			r, err := s.b.receipt(ctx, a.ID)
			switch {
			case err != nil && !errors.Is(err, errPending) && !errors.Is(err, errDead):
				unsure = true
			case err == nil && r != nil:
				s.forget(nonce)
				s.persist()
				s.c.ours(nonce, r)
				if a.Work != work {
					s.log.Info("an earlier transaction was mined at the nonce: sending this one at the next", "nonce", nonce, "hash", r.TxHash)
					s.mined(ctx, r, 0)
					return nil, errNonceTaken
				}
				return r, nil
			case errors.Is(err, errDead):
				a.Dead = true
				s.persist()
				if a.Work == work {
					// Rejected, failed or cancelled outside avs-sync: creating another at once
					// would only repeat it. The caller retries with its backoff.
					return nil, fmt.Errorf("transaction %s at nonce %d: %w", a.ID, nonce, err)
				}
			}
		}
		if mined > nonce && !unsure {
			// None of this process's attempts was mined at the nonce: another's was. The next
			// read of the nonce counts it (see foreign) and ends the send.
			s.forget(nonce)
			s.persist()
			return nil, errNonceTaken
		}
		if s.resubmissionDue(ctx, rec, nextBump) {
			return nil, errResubmit
		}
		select {
		case <-ctx.Done():
			s.c.abandon(ctx, rec)
			return nil, fmt.Errorf("transaction at nonce %d not mined: %w", nonce, ctx.Err())
		case <-t.C:
		}
	}
}

// resubmissionDue reports whether the latest attempt at rec has waited the resubmission timeout
// (and the caps allowed a replacement at nextBump) and can be replaced. With no live attempt
// (the pool holds something unknown) it is due at once.
func (s *Sender) resubmissionDue(ctx context.Context, rec *nonceRecord, nextBump time.Time) bool {
	if s.now().Before(nextBump) {
		return false
	}
	last := rec.last()
	if last == nil {
		return !s.c.dead(rec)
	}
	return s.now().Sub(last.At) >= s.cfg.resubmission() && s.c.replaceable(ctx, last)
}

// OnReceipt sets f to be told of every receipt the Sender sees: what a send returns, and
// transactions mined for work no caller waits for any more (a send that timed out, or one a
// previous process left). A gas budget counts them all, once per hash. f must be safe to call
// from the goroutine sending.
func (s *Sender) OnReceipt(f func(hash common.Hash, gasUsed uint64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onReceipt = f
}

// seen counts a mined transaction's fees and reports it.
func (s *Sender) seen(r *types.Receipt) {
	if r.EffectiveGasPrice != nil {
		paid := new(big.Int).Mul(r.EffectiveGasPrice, new(big.Int).SetUint64(r.GasUsed))
		s.m.feesPaid.Add(ethFloat(paid))
	}
	if s.onReceipt != nil {
		s.onReceipt(r.TxHash, r.GasUsed)
	}
}

// mined counts a mined transaction and refreshes the balance. estimate 0: not ours to count.
func (s *Sender) mined(ctx context.Context, r *types.Receipt, estimate uint64) {
	s.seen(r)
	s.done(ctx, r, estimate)
}

// done settles a send whose transaction r was mined (already counted by seen).
func (s *Sender) done(ctx context.Context, r *types.Receipt, estimate uint64) {
	if estimate > 0 {
		s.m.gasEstimated.Add(float64(estimate))
		// The work is done: nothing waits on fees or funds any more.
		s.m.feeCapBlocked.Set(0)
		s.m.outOfFunds.Set(0)
		s.needed = nil
	}
	if err := s.waitConfirmations(ctx, r); err != nil {
		s.log.Warn("waiting for confirmations", "hash", r.TxHash, "err", err)
	}
	if _, err := s.refreshBalance(ctx); err != nil {
		s.log.Warn("read sender balance after a transaction", "err", err)
	}
}

// waitConfirmations waits until cfg.Confirmations blocks follow the receipt's block.
func (s *Sender) waitConfirmations(ctx context.Context, r *types.Receipt) error {
	if s.cfg.Confirmations == 0 || r.BlockNumber == nil {
		return nil
	}
	want := r.BlockNumber.Uint64() + s.cfg.Confirmations
	t := time.NewTicker(max(s.cfg.ReceiptPollInterval, 10*time.Millisecond))
	defer t.Stop()
	for {
		head, err := s.client.BlockNumber(ctx)
		if err == nil && head >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// estimate is the gas req needs: the most of the caller's estimate (req.GasEstimate),
// one at the pending block and one at the latest. The pending block carries the block number the
// transaction will be mined at, but also whatever of ours is still pending there: a stake update
// replacing an abandoned one is estimated after it, rewriting its stake history entry in place,
// tens of thousands of gas short of the new entry it pushes when it replaces it. The latest
// state has no pending transaction in it. A revert at the pending block is the answer.
func (s *Sender) estimate(ctx context.Context, req TxRequest) (uint64, error) {
	msg := ethereum.CallMsg{From: s.from, To: &req.To, Value: req.Value, Data: req.Data}
	gas, err := pendingEstimator{s.client}.EstimateGas(ctx, msg)
	if err != nil {
		return 0, fmt.Errorf("estimate gas: %w", err)
	}
	if latest, err := s.client.EstimateGas(ctx, msg); err == nil {
		gas = max(gas, latest)
	}
	return max(gas, req.GasEstimate), nil
}

// nonce reads the sender's mined nonce and forgets what was sent below it. Transactions of the
// sender's address this process did not make, mined since the last read, are counted and end the
// send with ErrForeignTransaction: what to send is read from the chain again first.
func (s *Sender) nonce(ctx context.Context) (uint64, error) {
	n, err := s.client.NonceAt(ctx, s.from, nil)
	if err != nil {
		return 0, fmt.Errorf("read nonce of %s: %w", s.from, err)
	}
	if n < s.floor {
		if s.floorDropped(ctx) {
			s.log.Warn("the chain no longer holds the sender's transaction below its nonce floor: a reorganisation dropped it; sending at the chain's nonce",
				"node_nonce", n, "floor", s.floor, "floor_block", s.floorBlock)
			s.floor, s.floorBlock = n, 0
		} else {
			s.log.Info("node answered a nonce below the sender's own: a lagging backend; using the sender's",
				"node_nonce", n, "nonce", s.floor)
			n = s.floor
		}
	}
	changed, err := s.c.settleBelow(ctx, n)
	if changed {
		s.persist()
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// raiseFloor raises the nonce floor to n, learned at block (nil: unknown).
func (s *Sender) raiseFloor(n uint64, block *big.Int) {
	if n < s.floor {
		return
	}
	s.floor, s.floorBlock = n, 0
	if block != nil {
		s.floorBlock = block.Uint64()
	}
}

// floorFromNode raises the floor to next, the nonce a "nonce too low" answer named, learned at
// the node's head now.
func (s *Sender) floorFromNode(ctx context.Context, next uint64) {
	var block *big.Int
	if head, err := s.client.BlockNumber(ctx); err == nil {
		block = new(big.Int).SetUint64(head)
	}
	s.raiseFloor(next, block)
}

// floorDropped reports whether the chain says the sender's nonce at floorBlock is below the
// floor, and the pool holds nothing at the nonce below it: what set the floor is no longer in the
// chain and will not be mined again. A backend lagging behind floorBlock cannot answer for it (an
// error), and one that can but lags at its head answers the floor: both keep it. A transaction
// that a reorganisation put back in the pool keeps it too: it is mined again, and the next send
// goes after it.
func (s *Sender) floorDropped(ctx context.Context) bool {
	if s.floorBlock == 0 {
		return false
	}
	at, err := s.client.NonceAt(ctx, s.from, new(big.Int).SetUint64(s.floorBlock))
	if err != nil {
		s.log.Debug("read the sender's nonce at the floor's block", "block", s.floorBlock, "err", err)
		return false
	}
	if at >= s.floor {
		return false
	}
	pending, err := s.client.PendingNonceAt(ctx, s.from)
	if err != nil {
		s.log.Debug("read pending nonce", "err", err)
		return false
	}
	return pending < s.floor
}

// forget drops the record at nonce, settled, with its attempts' ids.
func (s *Sender) forget(nonce uint64) {
	if rec := s.sent[nonce]; rec != nil {
		s.c.forgotten(rec)
	}
	delete(s.sent, nonce)
}

// price is what a first send pays now, from the latest header's base fee and the node's
// suggested tip, within the limits. Fees above the cap are counted and logged here.
func (s *Sender) price(ctx context.Context) (fees, *big.Int, error) {
	head, err := s.client.HeaderByNumber(ctx, nil)
	if err != nil {
		return fees{}, nil, fmt.Errorf("read latest header: %w", err)
	}
	if head.BaseFee == nil {
		return fees{}, nil, fmt.Errorf("block %v has no base fee: the node is not past London, or answered garbage", head.Number)
	}
	s.m.baseFee.Set(gweiFloat(head.BaseFee))
	tip, err := s.client.SuggestGasTipCap(ctx)
	if err != nil {
		s.log.Warn("node suggested no tip: paying the minimum", "err", err)
		tip = new(big.Int)
	}
	f, err := s.limits.price(head.BaseFee, tip)
	if err != nil {
		if errors.Is(err, ErrFeeAboveCap) {
			s.m.feeCapBlocked.Set(1)
			s.m.sendErrors.WithLabelValues(kindFeeCap).Inc()
			s.log.Warn("fees above the cap: nothing sent, the update waits", "err", err)
		}
		return fees{}, head.BaseFee, err
	}
	return f, head.BaseFee, nil
}

// checkFunds refuses a transaction the sender cannot pay for at its fee cap.
func (s *Sender) checkFunds(ctx context.Context, gas uint64, feeCap, value *big.Int) error {
	bal, err := s.refreshBalance(ctx)
	if err != nil {
		return err
	}
	need := new(big.Int).Mul(new(big.Int).SetUint64(gas), feeCap)
	if value != nil {
		need.Add(need, value)
	}
	if bal.Cmp(need) < 0 {
		s.needed = need
		s.m.outOfFunds.Set(1)
		s.m.sendErrors.WithLabelValues(kindInsufficientFunds).Inc()
		s.log.Warn("sender out of funds: nothing sent, the update waits for funds", "sender", s.from,
			"balance_eth", ethFloat(bal), "needed_eth", ethFloat(need))
		return fmt.Errorf("sender %s holds %s ETH, the transaction may cost %s ETH: %w", s.from,
			trimDecimal(new(big.Rat).SetFrac(bal, big.NewInt(1e18)).FloatString(18)),
			trimDecimal(new(big.Rat).SetFrac(need, big.NewInt(1e18)).FloatString(18)), ErrOutOfFunds)
	}
	return nil
}

// refreshBalance reads the sender's balance and updates the balance gauges and the low-balance
// warning (logged once per fall below --low-balance).
func (s *Sender) refreshBalance(ctx context.Context) (*big.Int, error) {
	bal, err := s.readBalance(ctx)
	if err != nil {
		return nil, err
	}
	s.noteBalance(bal)
	return bal, nil
}

// readBalance reads the sender's balance; it touches no state, so s.mu need not be held.
func (s *Sender) readBalance(ctx context.Context) (*big.Int, error) {
	bal, err := s.client.BalanceAt(ctx, s.from, nil)
	if err != nil {
		return nil, fmt.Errorf("read balance of %s: %w", s.from, err)
	}
	return bal, nil
}

// noteBalance sets the balance gauges from bal and logs a fall below, or a recovery above, the
// low-balance threshold.
func (s *Sender) noteBalance(bal *big.Int) {
	s.m.balance.Set(ethFloat(bal))
	low := s.cfg.LowBalance != nil && bal.Cmp(s.cfg.LowBalance) < 0
	if low {
		s.m.balanceLow.Set(1)
		if !s.lowWarned {
			s.log.Warn("sender balance is low", "address", s.from, "balance_eth", ethFloat(bal), "threshold_eth", ethFloat(s.cfg.LowBalance))
		}
	} else {
		s.m.balanceLow.Set(0)
		if s.lowWarned {
			s.log.Info("sender balance recovered", "address", s.from, "balance_eth", ethFloat(bal))
		}
	}
	s.lowWarned = low
}

// BalanceEvery says when WatchBalance reads the sender's balance between transactions: once every
// Blocks new heads of Head, or, without a head source, every Interval.
type BalanceEvery struct {
	// Head reports the last chain head the daemon has seen (0 before the first). It is checked
	// every Check, in memory: the balance is read only when the head has moved Blocks past the
	// last read, so an idle watcher's cost stays per block, not per second.
	Head   func() uint64
	Blocks uint64
	Check  time.Duration
	// Interval is the period without a head source (a minute when not set).
	Interval time.Duration
}

// WatchBalance reads the sender's balance on the schedule of every until ctx ends, so the balance
// gauges follow funding and spending between transactions, and updates waiting for funds go out
// once the sender can pay.
func (s *Sender) WatchBalance(ctx context.Context, every BalanceEvery) {
	tick := every.Interval
	if every.Head != nil {
		tick = every.Check
	}
	if tick <= 0 {
		tick = time.Minute
	}
	blocks := max(every.Blocks, 1)
	var last uint64
	var prev *big.Int // the balance at the previous read
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if every.Head != nil {
			head := every.Head()
			if head == 0 || (last != 0 && head < last+blocks) {
				continue
			}
			last = head
		}
		// Node calls are made without s.mu: a send never waits behind a slow read of the
		// balance watcher's; the lock is held only to note what they found.
		bal, err := s.readBalance(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Debug("read sender balance", "err", err)
			}
			continue
		}
		s.mu.Lock()
		s.noteBalance(bal)
		if s.needed != nil && bal.Cmp(s.needed) >= 0 {
			s.log.Info("sender funded: waiting updates can go out", "address", s.from, "balance_eth", ethFloat(bal))
			s.m.outOfFunds.Set(0)
			s.needed = nil
		}
		s.mu.Unlock()
		if prev != nil && bal.Cmp(prev) < 0 {
			// Something spent from the key since the last read: read the nonce too, so
			// transactions of this key made elsewhere are counted while idle, not only at the
			// next send (foreignIdle logs them). A balance that did not fall costs no nonce read.
			if nerr := s.foreignIdle(ctx); nerr != nil && ctx.Err() == nil && !errors.Is(nerr, ErrForeignTransaction) {
				s.log.Debug("read sender nonce", "err", nerr)
			}
		}
		prev = bal
	}
}

// Address is the sender's address.
func (s *Sender) Address() common.Address { return s.from }

// persist writes the records to the state directory; a failure is a warning, the records stay
// in memory.
func (s *Sender) persist() {
	if s.cfg.StateDir == "" {
		return
	}
	if err := saveSent(s.cfg.StateDir, sentState{ChainID: s.chainID.Uint64(), Sender: s.from, Nonces: s.sent}); err != nil {
		s.log.Warn("remember sent transactions", "err", err)
	}
}

// workOf identifies what a request does: destination, value and calldata. It is kept in the
// state file: the same request hashes the same across versions.
func workOf(req TxRequest) common.Hash {
	var value []byte
	if req.Value != nil {
		value = req.Value.Bytes()
	}
	return crypto.Keccak256Hash(req.To.Bytes(), []byte{byte(len(value))}, value, req.Data)
}

// Send error kinds, as in send_errors_total.
const (
	kindUnderpriced       = "underpriced"
	kindNonceTooLow       = "nonce_too_low"
	kindAlreadyKnown      = "already_known"
	kindInsufficientFunds = "insufficient_funds"
	kindFeeCap            = "fee_cap"
	kindOther             = "other"
)

var sendErrorKinds = []string{kindUnderpriced, kindNonceTooLow, kindAlreadyKnown, kindInsufficientFunds, kindFeeCap, kindOther}

// classify names a broadcast error by what the pool said ("" for none). geth, Erigon, Nethermind
// and Reth share these phrasings; Fireblocks' wallet says "insufficient funds" too.
func classify(err error) string {
	if err == nil {
		return ""
	}
	msg := strings.ToLower(err.Error())
	var rpcErr rpc.Error
	if errors.As(err, &rpcErr) {
		msg = strings.ToLower(rpcErr.Error())
	}
	switch {
	case strings.Contains(msg, "already known"), strings.Contains(msg, "known transaction"), strings.Contains(msg, "already imported"):
		return kindAlreadyKnown
	case strings.Contains(msg, "underpriced"), strings.Contains(msg, "fee too low"):
		return kindUnderpriced
	case strings.Contains(msg, "nonce too low"), strings.Contains(msg, "oldnonce"):
		return kindNonceTooLow
	case strings.Contains(msg, "insufficient funds"):
		return kindInsufficientFunds
	}
	return kindOther
}

// RefreshBalance reads the sender's balance now and updates the balance gauges.
func (s *Sender) RefreshBalance(ctx context.Context) (*big.Int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshBalance(ctx)
}

// nextNonceRe finds the next nonce in the pool's "nonce too low" answers: geth's txpool ("next
// nonce 3, tx nonce 2") and state transition ("tx: 2 state: 3"), which Erigon shares.
var nextNonceRe = regexp.MustCompile(`next nonce (\d+)|state: (\d+)`)

// nextNonce is the next nonce a "nonce too low" error names; false if it names none.
func nextNonce(err error) (uint64, bool) {
	m := nextNonceRe.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	n, perr := strconv.ParseUint(m[1]+m[2], 10, 64)
	return n, perr == nil
}
