package watcher

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// The live path: while the websocket's log subscription covers the blocks from next on, events
// come from what it delivers, and a block without logs of ours costs no read at all. The head is
// read over HTTP every two block times (tick), the blocks up to the previous tick's head are
// emitted from the subscription's logs, and every VerifyInterval a range read of eth_getLogs over the blocks
// emitted since the last one (verify) emits whatever the subscription missed and checks that the
// blocks emitted with events are still canonical. See the package comment.

// logKey identifies a log: its block hash and its index in the block.
type logKey struct {
	hash  common.Hash
	index uint
}

func keyOf(l types.Log) logKey { return logKey{l.BlockHash, l.Index} }

// remember records logs as emitted, and forgets what fell below the reorganisation window.
func (f *follower) remember(logs []types.Log) {
	for _, l := range logs {
		f.seen[keyOf(l)] = l.BlockNumber
	}
	if f.next <= f.w.cfg.ReorgWindow {
		return
	}
	floor := f.next - f.w.cfg.ReorgWindow
	for k, n := range f.seen {
		if n < floor {
			delete(f.seen, k)
		}
	}
	for k, l := range f.buf {
		if l.BlockNumber < floor {
			delete(f.buf, k)
		}
	}
}

// forgetAbove forgets the logs emitted above block n: a reorganisation withdrew them.
func (f *follower) forgetAbove(n uint64) {
	for k, b := range f.seen {
		if b > n {
			delete(f.seen, k)
		}
	}
}

// dropBuffered drops what the subscription delivered for blocks from..to, which a verified range
// read has just emitted, and what it delivered again of blocks already emitted.
func (f *follower) dropBuffered(from, to uint64) {
	for k, l := range f.buf {
		_, seen := f.seen[k]
		if (l.BlockNumber >= from && l.BlockNumber <= to) || (l.BlockNumber < from && seen) {
			delete(f.buf, k)
		}
	}
}

// live reports whether the subscription covers every block from next on.
func (f *follower) live() bool {
	return f.coveredFrom != 0 && f.next >= f.coveredFrom && f.w.cfg.Confirmations == 0
}

// deliver takes the logs the subscription delivered. A log already emitted is dropped; a
// withdrawn one that was emitted goes out again with Removed set, and withdrawn reports it, so
// that the chain is checked at once; a withdrawn one not emitted yet is forgotten. It returns the
// newest block of the logs added, and its hash.
func (f *follower) deliver(logs []types.Log) (withdrawn bool, top uint64, topHash common.Hash) {
	for _, l := range logs {
		k := keyOf(l)
		if l.Removed {
			delete(f.buf, k)
			if _, ok := f.seen[k]; !ok {
				continue
			}
			delete(f.seen, k)
			if ev, ok := f.hist.remove(l.BlockNumber, l.TxHash, l.Index); ok {
				ev.Removed = true
				f.removed = append(f.removed, ev)
				if ev.Kind == AVSChanged {
					f.w.dec.avs = ev.PrevAVS
				}
				withdrawn = true
			}
			continue
		}
		if _, ok := f.seen[k]; ok {
			continue
		}
		f.buf[k] = l
		if l.BlockNumber >= top {
			top, topHash = l.BlockNumber, l.BlockHash
		}
	}
	return withdrawn, top, topHash
}

// emitLive emits blocks next..to (to's hash toHash) from the logs the subscription delivered,
// after any it delivered late, for blocks already emitted. With to below next only the late
// logs go out, and the head if it moved.
func (f *follower) emitLive(ctx context.Context, to uint64, toHash common.Hash) error {
	var logs, late []types.Log
	for k, l := range f.buf {
		switch {
		case l.BlockNumber < f.next:
			late = append(late, l)
			delete(f.buf, k)
		case l.BlockNumber <= to:
			logs = append(logs, l)
			delete(f.buf, k)
		}
	}
	if len(late) > 0 {
		f.queueLate(late)
	}
	if to < f.next {
		return f.sendHead(ctx)
	}
	return f.emitLogs(ctx, f.next, to, toHash, logs)
}

// queueLate queues logs of blocks already emitted, which neither the subscription nor a range
// read had delivered by then, to go out at the front of the next Batch.
func (f *follower) queueLate(logs []types.Log) {
	slices.SortFunc(logs, func(a, b types.Log) int {
		return cmp.Or(cmp.Compare(a.BlockNumber, b.BlockNumber), cmp.Compare(a.Index, b.Index))
	})
	for _, l := range logs {
		ev, err := f.w.dec.decode(l)
		f.seen[keyOf(l)] = l.BlockNumber
		if err != nil {
			continue
		}
		f.w.log.Warn("a log of a block already emitted arrived late; emitting it now", "block", l.BlockNumber, "tx", l.TxHash, "index", l.Index, "event", ev.Name)
		f.removed = append(f.removed, ev)
		f.hist.insert(ev, blockRef{Number: l.BlockNumber, Hash: l.BlockHash})
	}
}

// tick reads the head and emits the blocks up to the head the previous tick read from what the
// subscription delivered.
func (f *follower) tick(ctx context.Context) error {
	h, err := f.chain.HeaderByNumber(ctx, nil)
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	n := h.Number.Uint64()
	if n < f.head || n == 0 {
		// The HTTP node is behind what the subscription delivered (or the chain got shorter,
		// which the subscription reports as withdrawn logs): look again at the next tick.
		f.w.log.Debug("the HTTP node's head is behind the head seen; looking again later", "node_head", n, "head", f.head)
		return nil
	}
	f.setHead(n)
	// Emit up to the head the previous tick read, two block times ago: the subscription has had
	// that long to deliver its logs, wherever it lags the HTTP node. The head now waits for the
	// next tick.
	prev := f.ticked
	f.ticked = h
	if prev == nil || prev.Number.Uint64() > n {
		return f.sendHead(ctx)
	}
	return f.emitLive(ctx, prev.Number.Uint64(), prev.Hash())
}

// verify checks what the live path emitted since the last verification: the blocks it emitted
// events of, and the last block it emitted, must still be canonical (else the chain is read
// again from the fork point, as after any reorganisation), and a range read of the blocks since
// must hold no log of ours the subscription did not deliver (any it missed is emitted).
func (f *follower) verify(ctx context.Context) error {
	h, err := f.chain.HeaderByNumber(ctx, nil)
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	n := h.Number.Uint64()
	if n == 0 {
		return nil
	}
	if n >= f.head {
		f.setHead(n)
	}
	for _, ref := range f.suspects() {
		if ref.Number > n {
			// Above the HTTP node's head: it cannot say yet.
			continue
		}
		hash, found, err := f.hashAt(ctx, ref.Number, h)
		if err != nil {
			return err
		}
		if !found || hash != ref.Hash {
			if err := f.rewind(ctx, h); err != nil {
				return err
			}
			return f.sync(ctx, h)
		}
	}
	to, missed := n-1, 0
	for f.vnext <= to {
		from, end := f.vnext, min(to, f.vnext+f.rng.size-1)
		logs, err := f.chain.FilterLogs(ctx, f.w.dec.query(from, end))
		if err != nil {
			err = fmt.Errorf("verify logs of blocks %d..%d: %w", from, end, err)
			if isRangeLimit(err) && f.rng.shrink() {
				f.w.rangeChanged(f.rng.size, true)
				f.w.log.Warn("the node refused a log range; halving it", "from", from, "to", end, "now_blocks", f.rng.size, "err", err)
				continue
			}
			return err
		}
		for _, l := range logs {
			k := keyOf(l)
			if _, ok := f.seen[k]; ok || l.Removed {
				continue
			}
			if _, ok := f.buf[k]; !ok {
				missed++
				f.buf[k] = l
			}
		}
		f.vnext = end + 1
	}
	if missed > 0 {
		f.w.missedLogs(missed)
		f.w.log.Warn("the log subscription missed logs a range read found; emitting them", "logs", missed, "to_block", to)
	} else {
		f.w.log.Debug("blocks emitted from the log subscription verified", "to_block", to)
	}
	return f.emitLive(ctx, to, h.ParentHash)
}

// suspects are the blocks verify checks are still canonical: those the events emitted since the
// last verification are in, and the last block emitted.
func (f *follower) suspects() []blockRef {
	last, ok := f.hist.last()
	if !ok {
		return nil
	}
	withEvents := map[uint64]bool{}
	for _, ev := range f.hist.events {
		if ev.Block >= f.vnext {
			withEvents[ev.Block] = true
		}
	}
	var out []blockRef
	for _, r := range f.hist.blocks {
		if withEvents[r.Number] && r != last {
			out = append(out, r)
		}
	}
	return append(out, last)
}

// remove forgets the emitted event of the log at index of block in tx, and returns it.
func (h *history) remove(block uint64, tx common.Hash, index uint) (Event, bool) {
	for i, ev := range h.events {
		if ev.Block == block && ev.TxHash == tx && ev.LogIndex == index {
			h.events = slices.Delete(h.events, i, i+1)
			return ev, true
		}
	}
	return Event{}, false
}

// insert records an event emitted late, in block order, and its block unless one of that number
// is already remembered.
func (h *history) insert(ev Event, ref blockRef) {
	// After the events of the same block and those before it.
	i, _ := slices.BinarySearchFunc(h.events, ev.Block, func(e Event, n uint64) int {
		if e.Block <= n {
			return -1
		}
		return 1
	})
	h.events = slices.Insert(h.events, i, ev)
	j, found := slices.BinarySearchFunc(h.blocks, ref.Number, func(r blockRef, n uint64) int { return cmp.Compare(r.Number, n) })
	if !found && j < len(h.blocks) {
		// Never after the last block: it stays the last block emitted.
		h.blocks = slices.Insert(h.blocks, j, ref)
	}
}
