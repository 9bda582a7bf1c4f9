package watcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// chainReader is what the watcher reads over HTTP.
type chainReader interface {
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
	// HeadersByNumber returns the headers of blocks from..to, in order, in batched requests, up
	// to the first block the node does not have.
	HeadersByNumber(ctx context.Context, from, to uint64) ([]*types.Header, error)
	// FilterLogsByHash returns the logs matching q (its range ignored) of each block hash, in
	// batched requests.
	FilterLogsByHash(ctx context.Context, q ethereum.FilterQuery, hashes []common.Hash) ([][]types.Log, error)
}

// errBehind reports that the HTTP node has none of the blocks asked for yet: it lags behind the
// head the websocket announced. Not a failure: the next look reads them.
var errBehind = errors.New("the HTTP node has not got the blocks yet")

// follower is the state of one Run, owned by Run's goroutine alone.
type follower struct {
	w     *Watcher
	chain chainReader
	out   chan<- Batch

	// next is the first block not emitted yet. When hist is not empty, hist's last block is
	// next-1.
	next uint64
	// head is the number of the newest head seen, sentHead the Head of the last Batch sent.
	head, sentHead uint64
	hist           history
	// removed are withdrawn events waiting to go out with the next Batch.
	removed []Event
	// saved is the checkpoint last written; saveFailing is set while writes fail (warned once).
	saved       Checkpoint
	saveFailing bool
	// resumed is set while next comes from the checkpoint and no head has been read since.
	resumed bool
	// rng is the span of one eth_getLogs, shrunk while the node refuses larger ones.
	rng *logRange

	// What the websocket's log subscription delivered (see live.go).
	//
	// buf holds the logs it delivered that are not emitted yet; seen the logs emitted (or
	// skipped as not ours) in the reorganisation window, from either source, so that a log
	// comes out once whichever source has it first.
	buf  map[logKey]types.Log
	seen map[logKey]uint64
	// coveredFrom is the first block the live subscription delivers the logs of: every block
	// from it on was mined after the subscription was made. 0 while no subscription covers.
	coveredFrom uint64
	// coveredSession is the websocket session coveredFrom is of.
	coveredSession uint64
	// vnext is the first block whose logs no range read has verified.
	vnext uint64
	// ticked is the head the live path's last tick read.
	ticked *types.Header
}

// sync emits everything from next up to head-Confirmations, in Batches of at most the current
// log range, after checking that what was emitted before is still canonical; then a head-only
// Batch if the head moved and nothing else went out. A range the node refuses as too large is
// read again at half the size. head is the header that prompted the sync, or nil to read the
// newest one. An error leaves the follower consistent: the next sync resumes where this one
// stopped, and the new head has gone out in a head-only Batch, so that block-based schedules
// downstream follow the chain while its logs cannot be read.
func (f *follower) sync(ctx context.Context, head *types.Header) (err error) {
	if head != nil && head.Number.Uint64() < f.head {
		// A head older than one already seen (a lagging websocket node, or a reorganisation to a
		// shorter chain): only the HTTP node can say which.
		head = nil
	}
	if head == nil {
		h, err := f.chain.HeaderByNumber(ctx, nil)
		if err != nil {
			return fmt.Errorf("read head: %w", err)
		}
		head = h
	}
	headAt := f.w.now()
	if f.resumed {
		f.resumed = false
		f.checkpointAboveHead(head.Number.Uint64())
	}
	f.setHead(head.Number.Uint64())
	defer func() {
		if err != nil && !isFatal(err) && ctx.Err() == nil {
			// Best effort: the read is retried anyway, and this send fails only when ctx ends.
			_ = f.sendHead(ctx)
		}
	}()
	if err := f.checkCanonical(ctx, head); err != nil {
		return err
	}
	conf := f.w.cfg.Confirmations
	for f.head >= conf && f.next <= f.head-conf {
		from, end := f.next, min(f.head-conf, f.next+f.rng.size-1)
		err := f.emitRange(ctx, head, end)
		var limit *rangeLimitError
		switch {
		case errors.Is(err, errBehind):
			// The HTTP node has not got the blocks the websocket announced: look again later.
			f.w.log.Debug("the HTTP node lags behind the head; waiting for it", "next_block", f.next, "head", f.head)
			return f.sendHead(ctx)
		case err == nil && f.next > from && f.next <= end:
			// Fewer blocks than asked: the node answering lags. The rest at the next look.
			return f.sendHead(ctx)
		case err == nil:
			if f.rng.succeeded(end - from + 1) {
				f.w.rangeChanged(f.rng.size, false)
				f.w.log.Info("log range grown", "blocks", f.rng.size)
			}
		case errors.As(err, &limit) && f.rng.shrink():
			f.w.rangeChanged(f.rng.size, true)
			f.w.log.Warn("the node refused a log range; halving it", "from", from, "to", end, "now_blocks", f.rng.size, "err", err)
		default:
			return err
		}
		if f.head-conf >= f.next && f.w.now().Sub(headAt) >= f.w.cfg.PollInterval {
			// A long backfill: the head read at its start grows old, and the Batches carry it to
			// the planner's block-based schedules. Read it again once a poll interval.
			h, err := f.chain.HeaderByNumber(ctx, nil)
			if err != nil {
				return fmt.Errorf("read head: %w", err)
			}
			if headAt = f.w.now(); h.Number.Uint64() > f.head {
				head = h
				f.setHead(h.Number.Uint64())
			}
		}
	}
	return f.sendHead(ctx)
}

// checkpointAboveHead sets a checkpoint above the node's head aside: a testnet reset under the same
// chain id, or a node far behind, has no block to check it against and none to re-read from. As
// with any checkpoint that cannot be used, the watch starts from StartBlock: the start-up check of
// every registered operator covers what came before.
func (f *follower) checkpointAboveHead(head uint64) {
	cp := f.saved
	if cp.Block <= head {
		return
	}
	f.w.metrics.checkpointError()
	f.w.log.Warn("checkpoint unusable; starting from the start-up check", "from_block", f.w.cfg.StartBlock,
		"err", fmt.Errorf("checkpoint block %d is above the node's head %d: the chain was reset under the same chain id, or the node is far behind", cp.Block, head))
	f.next = f.w.cfg.StartBlock
	f.vnext = f.next
	f.hist.blocks = nil
	f.saved = Checkpoint{}
	f.w.setProgress(f.next-min(f.next, 1), 0)
}

// setHead records the newest head seen.
func (f *follower) setHead(n uint64) {
	f.head = n
	f.w.headSeen(n)
}

// announce sends a head-only Batch for head n when it is newer than every head seen: a head the
// websocket announced while the reads of the blocks below it fail.
func (f *follower) announce(ctx context.Context, n uint64) error {
	if n <= f.head {
		return nil
	}
	f.setHead(n)
	return f.sendHead(ctx)
}

// sendHead sends a head-only Batch if the head moved since the last Batch, or withdrawn events
// wait to go out.
func (f *follower) sendHead(ctx context.Context) error {
	if f.next == 0 || (f.head <= f.sentHead && len(f.removed) == 0) {
		return nil
	}
	b := Batch{From: f.next, To: f.next - 1, Head: f.head, Events: f.removed}
	if err := f.send(ctx, b); err != nil {
		return err
	}
	if last, ok := f.hist.last(); ok {
		return f.checkpoint(last)
	}
	return nil
}

// checkCanonical rewinds to the fork point if the last emitted block is no longer canonical.
func (f *follower) checkCanonical(ctx context.Context, head *types.Header) error {
	last, ok := f.hist.last()
	if !ok {
		return nil
	}
	hash, found, err := f.hashAt(ctx, last.Number, head)
	if err != nil {
		return err
	}
	if found && hash == last.Hash {
		return nil
	}
	return f.rewind(ctx, head)
}

// emitRange reads the logs of next..end and emits them as one Batch, unless the chain turns out
// to have reorganised under what was emitted before, in which case it rewinds instead.
//
// A range is verified block by block: its headers, read in one batched request, must chain from
// the last block emitted to end, and every log must name the hash of its block in that chain.
// Behind a load balancer the range read may be answered by a backend that disagrees (another fork)
// or lags (it stops at its own head and answers fewer blocks, silently): a block whose logs name
// another hash, or a block above the last one with logs whose bloom says it may hold logs of ours,
// is read again by its hash, which a backend either answers exactly or refuses. Incomplete logs
// are never emitted.
func (f *follower) emitRange(ctx context.Context, head *types.Header, end uint64) error {
	if err := f.w.followMoves(); err != nil {
		return err
	}
	from := f.next
	// One block is read by its hash; several by range, then checked against their headers.
	byHash := from == end
	var (
		hdrs []*types.Header
		logs []types.Log
		err  error
	)
	if !byHash {
		// Logs first: a range the node refuses costs no header reads.
		if logs, err = f.chain.FilterLogs(ctx, f.w.dec.query(from, end)); err != nil {
			err = fmt.Errorf("read logs of blocks %d..%d: %w", from, end, err)
			if isRangeLimit(err) {
				return &rangeLimitError{err}
			}
			return err
		}
	}
	if byHash && end == head.Number.Uint64() {
		hdrs = []*types.Header{head}
	} else {
		if hdrs, err = f.readChain(ctx, from, end); err != nil {
			if errors.Is(err, ethereum.NotFound) {
				return errBehind
			}
			if isRangeLimit(err) {
				// A batch of headers too large for the node ("batch too large", "response too
				// large"): a shorter range asks for fewer.
				return &rangeLimitError{err}
			}
			return err
		}
		switch last := from + uint64(len(hdrs)) - 1; {
		case last < end:
			// The backend answering has no block past last (it lags behind the head the
			// websocket announced): emit what it proves, the rest at the next look.
			f.w.log.Debug("blocks past a lagging backend's head left for later", "from", from, "to", end, "read_to", last)
			end = last
			logs = slices.DeleteFunc(logs, func(l types.Log) bool { return l.BlockNumber > end })
		case end == head.Number.Uint64() && hdrs[len(hdrs)-1].Hash() != head.Hash():
			return fmt.Errorf("the chain moved while reading blocks %d..%d", from, end)
		}
	}
	endHash := hdrs[len(hdrs)-1].Hash()
	// What is read must extend what was emitted: the last block emitted is still canonical.
	if last, ok := f.hist.last(); ok && hdrs[0].ParentHash != last.Hash {
		return f.rewind(ctx, head)
	}
	if byHash {
		// By hash: exactly the logs of the block whose header was read, whatever the node's
		// head has become since.
		if logs, err = f.chain.FilterLogs(ctx, f.w.dec.blockQuery(endHash)); err != nil {
			return fmt.Errorf("read logs of block %d: %w", end, err)
		}
		for _, l := range logs {
			if l.BlockNumber != end || l.BlockHash != endHash {
				return fmt.Errorf("the node answered logs of block %d (%s) for block %d (%s)", l.BlockNumber, l.BlockHash, end, endHash)
			}
		}
	} else if logs, err = f.completeLogs(ctx, hdrs, logs); err != nil {
		return err
	}
	// The range read is verified: whatever the subscription delivered for these blocks is
	// superseded by it.
	f.dropBuffered(from, end)
	return f.emitLogs(ctx, from, end, endHash, logs)
}

// emitLogs emits logs, the logs of blocks from..end (end's hash endHash), as one Batch after the
// withdrawn events waiting, and records what it emitted.
func (f *follower) emitLogs(ctx context.Context, from, end uint64, endHash common.Hash, logs []types.Log) error {
	slices.SortStableFunc(logs, func(a, b types.Log) int {
		return cmp.Or(cmp.Compare(a.BlockNumber, b.BlockNumber), cmp.Compare(a.Index, b.Index))
	})
	refs := make([]blockRef, 0, 4)
	for _, l := range logs {
		if n := len(refs); n == 0 || refs[n-1].Number != l.BlockNumber {
			refs = append(refs, blockRef{Number: l.BlockNumber, Hash: l.BlockHash})
		}
	}
	if n := len(refs); n == 0 || refs[n-1].Number != end {
		refs = append(refs, blockRef{Number: end, Hash: endHash})
	}

	events := make([]Event, 0, len(f.removed)+len(logs))
	events = append(events, f.removed...)
	fresh := len(events)
	for _, l := range logs {
		ev, err := f.w.dec.decode(l)
		if errors.Is(err, errNotOurs) {
			continue
		}
		if err != nil {
			f.w.log.Debug("skipping a log that does not decode", "err", err, "block", l.BlockNumber, "tx", l.TxHash, "index", l.Index)
			continue
		}
		events = append(events, ev)
	}
	if err := f.send(ctx, Batch{From: from, To: end, Head: f.head, Events: events}); err != nil {
		return err
	}
	f.next = end + 1
	f.hist.add(refs, events[fresh:])
	f.remember(logs)
	return f.checkpoint(blockRef{Number: end, Hash: endHash})
}

// readChain reads the headers of blocks from..to in one batched request and checks that they
// form a chain: each block's parent hash is the hash of the block before it. It returns fewer
// than asked, from from on, when the node has no blocks past some block; none is an error.
func (f *follower) readChain(ctx context.Context, from, to uint64) ([]*types.Header, error) {
	hdrs, err := f.chain.HeadersByNumber(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("read headers %d..%d: %w", from, to, err)
	}
	if len(hdrs) == 0 {
		return nil, fmt.Errorf("read headers %d..%d: block %d: %w", from, to, from, ethereum.NotFound)
	}
	for i, h := range hdrs {
		if h.Number.Uint64() != from+uint64(i) {
			return nil, fmt.Errorf("read headers %d..%d: block %d answered for %d", from, to, h.Number, from+uint64(i))
		}
		if i > 0 && h.ParentHash != hdrs[i-1].Hash() {
			return nil, fmt.Errorf("the chain moved while reading headers %d..%d: block %d does not extend block %d", from, to, from+uint64(i), from+uint64(i)-1)
		}
	}
	return hdrs, nil
}

// completeLogs checks the logs of a range read against the verified headers of the range, and
// reads again, by block hash, the blocks the answer may have left out or got from another fork.
// A log in block n shows that the backend had every block up to n; above the last such block a
// lagging backend answers nothing, which only the block's bloom can contradict.
func (f *follower) completeLogs(ctx context.Context, hdrs []*types.Header, logs []types.Log) ([]types.Log, error) {
	from, to := hdrs[0].Number.Uint64(), hdrs[len(hdrs)-1].Number.Uint64()
	reread := map[uint64]bool{}
	// The answer covers every block up to top: it holds a log of top, in the verified chain.
	top, disagreed := int64(from)-1, false
	for _, l := range logs {
		if l.BlockNumber < from || l.BlockNumber > to {
			return nil, fmt.Errorf("the node answered a log of block %d for blocks %d..%d", l.BlockNumber, from, to)
		}
		if l.BlockHash != hdrs[l.BlockNumber-from].Hash() {
			reread[l.BlockNumber], disagreed = true, true
			continue
		}
		top = max(top, int64(l.BlockNumber))
	}
	for i, h := range hdrs {
		if n := from + uint64(i); int64(n) > top && f.w.dec.mayContain(h.Bloom) {
			reread[n] = true
		}
	}
	if len(reread) == 0 {
		return logs, nil
	}
	blocks := slices.Sorted(maps.Keys(reread))
	hashes := make([]common.Hash, len(blocks))
	for i, n := range blocks {
		hashes[i] = hdrs[n-from].Hash()
	}
	again, err := f.chain.FilterLogsByHash(ctx, f.w.dec.liveQuery(), hashes)
	if err != nil {
		return nil, fmt.Errorf("read logs of %d blocks of %d..%d by hash: %w", len(blocks), from, to, err)
	}
	kept := slices.DeleteFunc(logs, func(l types.Log) bool { return reread[l.BlockNumber] })
	before := len(logs) - len(kept)
	found := 0
	for i, ls := range again {
		for _, l := range ls {
			if l.BlockNumber != blocks[i] || l.BlockHash != hashes[i] {
				return nil, fmt.Errorf("the node answered a log of block %d (%s) for block %d (%s)", l.BlockNumber, l.BlockHash, blocks[i], hashes[i])
			}
		}
		found += len(ls)
		kept = append(kept, ls...)
	}
	if disagreed || found != before {
		f.w.log.Warn("a range read of logs disagreed with the verified chain; blocks read again by hash",
			"from", from, "to", to, "blocks", len(blocks), "logs_in_range_answer", before, "logs_by_hash", found)
	} else {
		f.w.log.Debug("blocks whose bloom may hold our logs read again by hash", "from", from, "to", to, "blocks", len(blocks))
	}
	return kept, nil
}

// rewind finds where the chain forked from what was emitted, queues the events emitted above the
// fork point as removed, and moves next back to just above it.
func (f *follower) rewind(ctx context.Context, head *types.Header) error {
	last, _ := f.hist.last()
	fork, err := f.forkPoint(ctx, head)
	if err != nil {
		return err
	}
	withdrawn := f.hist.truncate(fork)
	f.removed = append(f.removed, withdrawn...)
	f.forgetAbove(fork.Number)
	for i := len(withdrawn) - 1; i >= 0; i-- {
		if ev := withdrawn[i]; ev.Kind == AVSChanged {
			// The AVS is again what it was before the withdrawn change.
			f.w.dec.avs = ev.PrevAVS
		}
	}
	f.next = fork.Number + 1
	f.vnext = min(f.vnext, f.next)
	f.ticked = nil
	f.w.log.Warn("chain reorganised under emitted blocks; re-reading from the fork point",
		"last_emitted", last.Number, "last_hash", last.Hash, "fork_block", fork.Number, "fork_hash", fork.Hash,
		"withdrawn_events", len(withdrawn), "head", head.Number)
	return nil
}

// forkPoint returns the newest remembered block that is still canonical. When none is, the
// reorganisation is deeper than the window: the block ReorgWindow below the last emitted one is
// taken as the fork point and everything above it is read again.
func (f *follower) forkPoint(ctx context.Context, head *types.Header) (blockRef, error) {
	blocks := f.hist.blocks
	for i := len(blocks) - 2; i >= 0; i-- {
		hash, found, err := f.hashAt(ctx, blocks[i].Number, head)
		if err != nil {
			return blockRef{}, err
		}
		if found && hash == blocks[i].Hash {
			return blocks[i], nil
		}
	}
	last := blocks[len(blocks)-1].Number
	n := uint64(0)
	if last > f.w.cfg.ReorgWindow {
		n = last - f.w.cfg.ReorgWindow
	}
	h, err := f.chain.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
	if err != nil {
		return blockRef{}, fmt.Errorf("read header %d below a deep reorganisation: %w", n, err)
	}
	f.w.log.Error("chain reorganised deeper than the reorg window; re-reading the window",
		"window", f.w.cfg.ReorgWindow, "from_block", n+1)
	return blockRef{Number: n, Hash: h.Hash()}, nil
}

// hashAt returns the canonical hash of block n, from head when head is n or its child, else read;
// found is false when the chain has no block n.
func (f *follower) hashAt(ctx context.Context, n uint64, head *types.Header) (hash common.Hash, found bool, err error) {
	if head != nil {
		switch hn := head.Number.Uint64(); {
		case hn == n:
			return head.Hash(), true, nil
		case hn == n+1:
			return head.ParentHash, true, nil
		}
	}
	h, err := f.chain.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
	if errors.Is(err, ethereum.NotFound) {
		return common.Hash{}, false, nil
	}
	if err != nil {
		return common.Hash{}, false, fmt.Errorf("read header %d: %w", n, err)
	}
	return h.Hash(), true, nil
}

// send hands b to the consumer and records that it went out.
func (f *follower) send(ctx context.Context, b Batch) error {
	select {
	case f.out <- b:
	case <-ctx.Done():
		return ctx.Err()
	}
	f.removed = nil
	f.sentHead = b.Head
	for _, ev := range b.Events {
		f.w.metrics.event(ev.Kind)
	}
	f.w.setProgress(b.To, b.Head)
	f.w.log.Debug("emitted batch", "from", b.From, "to", b.To, "head", b.Head, "events", len(b.Events))
	return nil
}

// checkpoint records that everything up to ref went out, when it changed.
func (f *follower) checkpoint(ref blockRef) error {
	if f.w.cfg.StateDir == "" {
		return nil
	}
	c := Checkpoint{ChainID: f.w.cfg.ChainID, Block: ref.Number, Hash: ref.Hash}
	if c == f.saved {
		return nil
	}
	if err := saveCheckpoint(f.w.cfg.StateDir, c); err != nil {
		// Optional state: without it a restart reads from the head and checks every operator.
		f.w.metrics.checkpointError()
		if !f.saveFailing {
			f.w.log.Warn("checkpoint not written; going on without it", "block", ref.Number, "err", err)
		}
		f.saveFailing = true
		return nil
	}
	if f.saveFailing {
		f.w.log.Info("checkpoint written again", "block", ref.Number)
		f.saveFailing = false
	}
	f.saved = c
	return nil
}

// blockRef is a block the watcher emitted against.
type blockRef struct {
	Number uint64
	Hash   common.Hash
}

// history remembers what was emitted in the last window blocks: the hashes of emitted blocks
// that had events, and of the last block of each Batch; and the events themselves, so that a
// reorganisation can be traced to its fork point and what it undid withdrawn.
type history struct {
	window uint64
	// blocks ascend strictly by number; the last one is the last block emitted.
	blocks []blockRef
	// events ascend by block; none is removed and none is in a block above the last of blocks.
	events []Event
}

func (h *history) last() (blockRef, bool) {
	if len(h.blocks) == 0 {
		return blockRef{}, false
	}
	return h.blocks[len(h.blocks)-1], true
}

// add appends the blocks and events of a newly emitted range, then forgets what fell out of the
// window.
func (h *history) add(refs []blockRef, events []Event) {
	h.blocks = append(h.blocks, refs...)
	for _, ev := range events {
		if !ev.Removed {
			h.events = append(h.events, ev)
		}
	}
	last := h.blocks[len(h.blocks)-1].Number
	if last < h.window {
		return
	}
	floor := last - h.window // blocks at or below floor are forgotten, except the last one
	i := 0
	for i < len(h.blocks)-1 && h.blocks[i].Number <= floor {
		i++
	}
	h.blocks = append(h.blocks[:0], h.blocks[i:]...)
	j := 0
	for j < len(h.events) && h.events[j].Block <= floor {
		j++
	}
	h.events = append(h.events[:0], h.events[j:]...)
}

// truncate forgets everything above fork, which becomes the last block, and returns the events
// forgotten, marked removed.
func (h *history) truncate(fork blockRef) []Event {
	i := len(h.blocks)
	for i > 0 && h.blocks[i-1].Number >= fork.Number {
		i--
	}
	h.blocks = append(h.blocks[:i], fork)
	j := len(h.events)
	for j > 0 && h.events[j-1].Block > fork.Number {
		j--
	}
	var withdrawn []Event
	for _, ev := range h.events[j:] {
		ev.Removed = true
		withdrawn = append(withdrawn, ev)
	}
	h.events = h.events[:j]
	return withdrawn
}
