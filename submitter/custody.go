package submitter

import (
	"context"
	"errors"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// custody is what signing with a local key and signing through Fireblocks do differently, chosen
// once, with the broadcaster, when the Sender is built. With a local key (keyCustody) the Sender
// picks every nonce, knows each transaction's hash when it signs it, and accounts for every nonce
// of the key, so that transactions made elsewhere are counted (foreign.go). Fireblocks
// (fireblocksCustody) picks its own nonces; its transactions may wait for approval before they
// have a hash, can be cancelled until then, and can be named by a replacement only by the process
// that created them. Every method runs with the Sender's mu held.
type custody interface {
	// start begins accounting for the sender's nonces.
	start(ctx context.Context)
	// settleBelow settles the records below n, the sender's mined nonce (what of them was mined
	// is counted, settled records are forgotten) and reports whether any changed. An error ends
	// the send: transactions made elsewhere were mined (ErrForeignTransaction).
	settleBelow(ctx context.Context, n uint64) (changed bool, err error)
	// ours notes that this process's transaction at nonce was mined (r).
	ours(nonce uint64, r *types.Receipt)
	// minedNonce is the sender's mined nonce, or 0 when it says nothing of the records (a failed
	// read; Fireblocks, whose nonces are its own).
	minedNonce(ctx context.Context) uint64
	// dead reports whether nothing rec holds can be mined any more, though the record stands.
	dead(rec *nonceRecord) bool
	// mustWait reports whether what rec holds (last its latest live attempt) must be waited for
	// rather than replaced.
	mustWait(ctx context.Context, rec *nonceRecord, last *attempt) bool
	// replaceable reports whether last, which has waited the resubmission timeout, can be
	// replaced now.
	replaceable(ctx context.Context, last *attempt) bool
	// follow finds a record under another nonce than nonce (the sender's nonce moved since it was
	// made) holding a live attempt of work that may still be mined: the send follows it instead
	// of making a second transaction for the same work.
	follow(ctx context.Context, nonce uint64, work common.Hash) (uint64, bool)
	// unknownToNode reports whether the node surely holds none of rec's live attempts.
	unknownToNode(ctx context.Context, rec *nonceRecord) bool
	// broadcasted notes an attempt this process broadcast at nonce, found again by id.
	broadcasted(nonce uint64, id string)
	// forgotten drops what broadcasted noted of rec's attempts, its nonce settled.
	forgotten(rec *nonceRecord)
	// abandon withdraws what of rec can still be stopped from going out, ctx having ended.
	abandon(ctx context.Context, rec *nonceRecord)
}

// keyCustody is custody with a local key (private key, keystore, Secrets Manager, KMS).
type keyCustody struct{ s *Sender }

func (k keyCustody) start(ctx context.Context) { k.s.initKnown(ctx) }

// settleBelow forgets every record below n: the mined attempt of one, if any, is counted, and its
// work noted in landed, for a send re-pricing that work. Nonces below n that no record of this
// process accounts for are foreign.
func (k keyCustody) settleBelow(ctx context.Context, n uint64) (bool, error) {
	s := k.s
	changed := false
	for nonce, rec := range s.sent {
		if nonce >= n {
			continue
		}
		if r, work := k.minedBelow(ctx, rec); r != nil {
			s.ours(nonce, r)
			if s.landed == nil {
				s.landed = make(map[common.Hash]*types.Receipt)
			}
			s.landed[work] = r
		}
		s.forget(nonce)
		changed = true
	}
	return changed, s.foreign(ctx, n)
}

// minedBelow reports the receipt of whichever attempt of rec was mined, if any: a send that gave
// up on it (timed out, or a previous process) never saw it. It returns that receipt and the
// attempt's work.
func (k keyCustody) minedBelow(ctx context.Context, rec *nonceRecord) (*types.Receipt, common.Hash) {
	s := k.s
	for _, a := range rec.live() {
		if r, err := s.b.receipt(ctx, a.ID); err == nil && r != nil {
			s.seen(r)
			return r, a.Work
		}
	}
	return nil, common.Hash{}
}

func (k keyCustody) ours(nonce uint64, r *types.Receipt) { k.s.ours(nonce, r) }

func (k keyCustody) minedNonce(ctx context.Context) uint64 {
	n, err := k.s.client.NonceAt(ctx, k.s.from, nil)
	if err != nil {
		return 0
	}
	return n
}

// dead: a record without a live attempt stands for something unknown the pool holds at its
// nonce, to be replaced.
func (keyCustody) dead(*nonceRecord) bool { return false }

func (keyCustody) mustWait(context.Context, *nonceRecord, *attempt) bool { return false }

func (keyCustody) replaceable(context.Context, *attempt) bool { return true }

func (keyCustody) follow(context.Context, uint64, common.Hash) (uint64, bool) { return 0, false }

// unknownToNode: the node knows none of the recorded attempts' hashes.
func (k keyCustody) unknownToNode(ctx context.Context, rec *nonceRecord) bool {
	live := rec.live()
	if len(live) == 0 {
		return false
	}
	for _, a := range live {
		_, _, err := k.s.client.TransactionByHash(ctx, common.HexToHash(a.ID))
		if !errors.Is(err, ethereum.NotFound) {
			return false // known to the node, or the node could not say
		}
	}
	return true
}

// broadcasted keeps the hash: one of them found mined by foreign is this process's own.
func (k keyCustody) broadcasted(nonce uint64, id string) {
	s := k.s
	if s.broadcast == nil {
		s.broadcast = map[uint64][]common.Hash{}
	}
	s.broadcast[nonce] = append(s.broadcast[nonce], common.HexToHash(id))
}

func (keyCustody) forgotten(*nonceRecord) {}

// abandon: a signed transaction cannot be called back.
func (keyCustody) abandon(context.Context, *nonceRecord) {}

// fireblocksCustody is custody through Fireblocks.
type fireblocksCustody struct {
	s *Sender
	f fireblocksBroadcaster
	// created holds the ids of the Fireblocks transactions this process created. The SDK names
	// the transaction a replacement replaces (replaceTxByHash) only from its own memory, which a
	// restart empties: replacing an attempt of an earlier process would create an independent
	// second transaction at the next nonce, and both would be mined. Such an attempt is waited
	// for until it is mined or dead. An id leaves with its nonce's record (forgotten).
	created map[string]bool
}

// start: Fireblocks picks its own nonces, and a vault may be shared on purpose: nothing to
// account for.
func (*fireblocksCustody) start(context.Context) {}

// settleBelow keeps a record below n while an attempt in it may still be approved and mined; one
// mined after its send gave up is counted here.
func (c *fireblocksCustody) settleBelow(ctx context.Context, n uint64) (bool, error) {
	changed := false
	for nonce, rec := range c.s.sent {
		if nonce < n && c.settled(ctx, rec) {
			c.s.forget(nonce)
			changed = true
		}
	}
	return changed, nil
}

// settled reports whether nothing of rec can be mined any more: one of its attempts was (its
// receipt is reported, once: the record then leaves), or every attempt is dead. Attempts found
// dead are marked.
func (c *fireblocksCustody) settled(ctx context.Context, rec *nonceRecord) bool {
	for _, a := range rec.live() {
		r, err := c.f.receipt(ctx, a.ID)
		switch {
		case err == nil && r != nil:
			c.s.log.Info("a Fireblocks transaction given up on was mined", "id", a.ID, "hash", r.TxHash, "gas_used", r.GasUsed)
			c.s.seen(r)
			return true
		case errors.Is(err, errDead):
			a.Dead = true
		}
	}
	return rec.last() == nil
}

func (*fireblocksCustody) ours(uint64, *types.Receipt) {}

func (*fireblocksCustody) minedNonce(context.Context) uint64 { return 0 }

// dead: every Fireblocks attempt there was cancelled or failed.
func (*fireblocksCustody) dead(rec *nonceRecord) bool { return rec.last() == nil }

// mustWait: a transaction awaiting approval has no hash to replace, and a second one would be a
// second transaction for the same work: wait for it (or for its cancel at the timeout). One an
// earlier process created cannot be named by a replacement: wait for it too.
func (c *fireblocksCustody) mustWait(ctx context.Context, rec *nonceRecord, last *attempt) bool {
	return c.pendingApproval(ctx, rec) || !c.created[last.ID]
}

// replaceable: only once broadcast (until then it has no hash for a replacement to name), and
// only if this process created it.
func (c *fireblocksCustody) replaceable(ctx context.Context, last *attempt) bool {
	if !c.created[last.ID] {
		return false
	}
	_, err := c.f.receipt(ctx, last.ID)
	return errors.Is(err, errPending)
}

func (c *fireblocksCustody) follow(ctx context.Context, nonce uint64, work common.Hash) (uint64, bool) {
	for k, rec := range c.s.sent {
		if k == nonce {
			continue
		}
		for _, a := range rec.live() {
			if a.Work != work {
				continue
			}
			if _, err := c.f.receipt(ctx, a.ID); errors.Is(err, errNotBroadcast) || errors.Is(err, errPending) {
				return k, true
			}
		}
	}
	return 0, false
}

// unknownToNode: Fireblocks attempts are Fireblocks ids, not hashes the node could be asked about.
func (*fireblocksCustody) unknownToNode(context.Context, *nonceRecord) bool { return false }

func (c *fireblocksCustody) broadcasted(_ uint64, id string) {
	if c.created == nil {
		c.created = map[string]bool{}
	}
	c.created[id] = true
}

func (c *fireblocksCustody) forgotten(rec *nonceRecord) {
	for _, a := range rec.Attempts {
		delete(c.created, a.ID)
	}
}

// abandon cancels the live attempts of rec still awaiting approval, on a fresh context since ctx
// has ended. One the cancel cannot stop stays recorded, and the next send waits for it instead of
// creating another.
func (c *fireblocksCustody) abandon(ctx context.Context, rec *nonceRecord) {
	cctx, cancel := freshContext(ctx, cancelTimeout)
	defer cancel()
	for _, a := range rec.live() {
		if _, err := c.f.receipt(cctx, a.ID); !errors.Is(err, errNotBroadcast) {
			continue
		}
		ok, err := c.f.cancel(cctx, a.ID)
		switch {
		case err != nil:
			c.s.log.Warn("cancel Fireblocks transaction not broadcast in time", "id", a.ID, "err", err)
		case !ok:
			c.s.log.Warn("Fireblocks refused to cancel a transaction not broadcast in time: the next send waits for it", "id", a.ID)
		default:
			c.s.log.Info("cancelled Fireblocks transaction not broadcast in time", "id", a.ID)
			a.Dead = true
		}
	}
	c.s.persist()
}

// pendingApproval reports whether a live attempt of rec is not yet broadcast.
func (c *fireblocksCustody) pendingApproval(ctx context.Context, rec *nonceRecord) bool {
	for _, a := range rec.live() {
		if _, err := c.f.receipt(ctx, a.ID); errors.Is(err, errNotBroadcast) {
			return true
		}
	}
	return false
}
