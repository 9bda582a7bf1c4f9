package watcher

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus"
)

// fakeChain is a canonical chain of headers with logs, reorganisable at will.
type fakeChain struct {
	mu     sync.Mutex
	blocks []*types.Header             // canonical, blocks[i].Number == i
	logs   map[common.Hash][]types.Log // by block hash, also for blocks no longer canonical
	fail   map[string]int              // method -> how many more calls fail
	reads  map[string]int              // method -> calls
	// maxRange, when set, is the most blocks a range read may cover, as hosted providers cap it.
	maxRange uint64
	// ranges are the spans of the range reads, accepted or not.
	ranges []span
	// lag, when set, makes range reads answer as a backend this many blocks behind: nothing
	// above its head, and no error.
	lag uint64
	// forged logs replace, in range reads, the logs of their block number.
	forged []types.Log
	// growOnHead is how many blocks the chain grows by at each read of its head.
	growOnHead int
	// headerLag, when set, hides the newest headerLag blocks from reads by number, as a backend
	// that lags behind the websocket's head.
	headerLag uint64
}

func newFakeChain(n int) *fakeChain {
	c := &fakeChain{logs: map[common.Hash][]types.Log{}, fail: map[string]int{}, reads: map[string]int{}}
	c.extend(n, "genesis")
	return c
}

// extend appends n blocks tagged tag; logs go into the first of them.
func (c *fakeChain) extend(n int, tag string, logs ...types.Log) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < n; i++ {
		h := &types.Header{Number: big.NewInt(int64(len(c.blocks))), Extra: []byte(tag), Difficulty: big.NewInt(0)}
		if i == 0 {
			for _, l := range logs {
				h.Bloom.Add(l.Address.Bytes())
				for _, t := range l.Topics {
					h.Bloom.Add(t.Bytes())
				}
			}
		}
		if len(c.blocks) > 0 {
			h.ParentHash = c.blocks[len(c.blocks)-1].Hash()
		}
		c.blocks = append(c.blocks, h)
		ls := []types.Log{}
		if i == 0 {
			for j, l := range logs {
				l.BlockNumber, l.BlockHash, l.Index = h.Number.Uint64(), h.Hash(), uint(j)
				l.TxHash = common.BytesToHash([]byte(fmt.Sprintf("%s-%d", tag, j)))
				ls = append(ls, l)
			}
		}
		c.logs[h.Hash()] = ls
	}
}

// fork drops the canonical blocks from n on.
func (c *fakeChain) fork(n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocks = c.blocks[:n]
}

func (c *fakeChain) hash(n uint64) common.Hash {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blocks[n].Hash()
}

func (c *fakeChain) failing(method string) error {
	c.reads[method]++
	if c.fail[method] > 0 {
		c.fail[method]--
		return fmt.Errorf("%s: connection refused", method)
	}
	return nil
}

func (c *fakeChain) HeaderByNumber(_ context.Context, n *big.Int) (*types.Header, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.failing("HeaderByNumber"); err != nil {
		return nil, err
	}
	if n != nil && c.headerLag > 0 && n.Uint64()+c.headerLag >= uint64(len(c.blocks)) {
		return nil, ethereum.NotFound
	}
	if n == nil {
		for i := 0; i < c.growOnHead; i++ {
			h := &types.Header{Number: big.NewInt(int64(len(c.blocks))), Extra: []byte("grown"), Difficulty: big.NewInt(0), ParentHash: c.blocks[len(c.blocks)-1].Hash()}
			c.blocks = append(c.blocks, h)
			c.logs[h.Hash()] = []types.Log{}
		}
		return c.blocks[len(c.blocks)-1], nil
	}
	if n.Uint64() >= uint64(len(c.blocks)) {
		return nil, ethereum.NotFound
	}
	return c.blocks[n.Uint64()], nil
}

func (c *fakeChain) FilterLogs(_ context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.failing("FilterLogs"); err != nil {
		return nil, err
	}
	if q.BlockHash != nil {
		ls, ok := c.logs[*q.BlockHash]
		if !ok {
			return nil, errors.New("unknown block")
		}
		return slices.Clone(ls), nil
	}
	from, to := q.FromBlock.Uint64(), q.ToBlock.Uint64()
	c.ranges = append(c.ranges, span{from, to, 0})
	if c.maxRange > 0 && to-from+1 > c.maxRange {
		return nil, &rpcError{-32602, fmt.Sprintf("query exceeds max block range %d", c.maxRange)}
	}
	if to >= uint64(len(c.blocks)) {
		return nil, errors.New("block range extends beyond current head block")
	}
	if c.lag > 0 {
		to = min(to, uint64(len(c.blocks)-1)-min(c.lag, uint64(len(c.blocks)-1)))
	}
	var out []types.Log
	for n := from; n <= to; n++ {
		if i := slices.IndexFunc(c.forged, func(l types.Log) bool { return l.BlockNumber == n }); i >= 0 {
			out = append(out, c.forged[i])
			continue
		}
		out = append(out, c.logs[c.blocks[n].Hash()]...)
	}
	return out, nil
}

func (c *fakeChain) HeadersByNumber(ctx context.Context, from, to uint64) ([]*types.Header, error) {
	c.mu.Lock()
	if err := c.failing("HeadersByNumber"); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	c.mu.Unlock()
	var out []*types.Header
	for n := from; n <= to; n++ {
		h, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
		if errors.Is(err, ethereum.NotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func (c *fakeChain) FilterLogsByHash(ctx context.Context, q ethereum.FilterQuery, hashes []common.Hash) ([][]types.Log, error) {
	c.mu.Lock()
	c.reads["FilterLogsByHash"]++
	c.mu.Unlock()
	out := make([][]types.Log, len(hashes))
	for i, h := range hashes {
		q.BlockHash = &h
		ls, err := c.FilterLogs(ctx, q)
		if err != nil {
			return nil, err
		}
		out[i] = ls
	}
	return out, nil
}

// testFollower returns a follower over chain emitting into a buffered channel.
func testFollower(t *testing.T, cfg Config, chain *fakeChain) (*follower, chan Batch) {
	t.Helper()
	cfg.HTTPURL = "http://unused"
	cfg.Sources = testSources()
	w, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan Batch, 100)
	f, err := w.resume(out)
	if err != nil {
		t.Fatal(err)
	}
	f.chain = chain
	return f, out
}

func drain(out chan Batch) []Batch {
	var bs []Batch
	for {
		select {
		case b := <-out:
			bs = append(bs, b)
		default:
			return bs
		}
	}
}

func sharesLog(t testing.TB, op common.Address) types.Log {
	a := mustABI(t, delegationmanager.ContractDelegationManagerMetaData.GetAbi)
	return synthLog(t, a, testDM, "OperatorSharesIncreased", op, testAddr, testAddr, big.NewInt(1))
}

type span struct{ from, to, head uint64 }

func spans(bs []Batch) []span {
	var out []span
	for _, b := range bs {
		out = append(out, span{b.From, b.To, b.Head})
	}
	return out
}

func TestFollowChunksAndHeadOnlyBatches(t *testing.T) {
	chain := newFakeChain(5)
	a, b := common.HexToAddress("0xa"), common.HexToAddress("0xb")
	chain.extend(1, "x", sharesLog(t, a)) // block 5
	chain.extend(3, "y")                  // 6..8
	chain.extend(1, "z", sharesLog(t, b)) // 9
	chain.extend(1, "w")                  // 10
	f, out := testFollower(t, Config{StartBlock: 5, MaxRange: 2}, chain)
	ctx := context.Background()

	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	if got, want := spans(bs), []span{{5, 6, 10}, {7, 8, 10}, {9, 10, 10}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	if len(bs[0].Events) != 1 || bs[0].Events[0].Operator != a || len(bs[1].Events) != 0 || bs[2].Events[0].Operator != b {
		t.Fatalf("events misplaced: %+v", bs)
	}

	// Nothing new: no batch. One empty block: one empty batch.
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if bs := drain(out); len(bs) != 0 {
		t.Fatalf("batches without a new head: %v", spans(bs))
	}
	chain.extend(1, "v")
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := spans(drain(out)), []span{{11, 11, 11}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}

	// With confirmations, a head that finalises nothing still goes out, with To = From-1.
	f.w.cfg.Confirmations = 3
	chain.extend(2, "u") // head 13: 10 is final, already emitted
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := spans(drain(out)), []span{{12, 11, 13}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	if st := f.w.Status(); st.LastBlock != 11 || st.Head != 13 {
		t.Fatalf("status %+v", st)
	}
}

func TestFollowReorgWithdrawsEmittedEvents(t *testing.T) {
	chain := newFakeChain(8)
	gone, stays := common.HexToAddress("0xa"), common.HexToAddress("0xb")
	chain.extend(1, "old", sharesLog(t, stays)) // 8
	chain.extend(1, "old", sharesLog(t, gone))  // 9
	chain.extend(1, "old")                      // 10
	dir := t.TempDir()
	f, out := testFollower(t, Config{StartBlock: 8, StateDir: dir, ChainID: 5}, chain)
	ctx := context.Background()
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	drain(out)

	// Blocks 9 and 10 are replaced by a shorter chain without the log.
	chain.fork(9)
	chain.extend(1, "new") // 9'
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	if got, want := spans(bs), []span{{9, 9, 9}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	evs := bs[0].Events
	if len(evs) != 1 || !evs[0].Removed || evs[0].Operator != gone || evs[0].Block != 9 {
		t.Fatalf("events after the reorg: %+v; want only the withdrawn one", evs)
	}
	cp, ok, err := LoadCheckpoint(dir)
	if err != nil || !ok || cp.Block != 9 || cp.Hash != chain.hash(9) {
		t.Fatalf("checkpoint %+v %v %v; want block 9 of the new chain", cp, ok, err)
	}

	// The same log mined again in a replacing block comes out again, not removed.
	chain.fork(9)
	chain.extend(1, "again", sharesLog(t, gone))
	chain.extend(1, "again")
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	bs = drain(out)
	var kinds []string
	for _, b := range bs {
		for _, ev := range b.Events {
			kinds = append(kinds, fmt.Sprintf("%d:%v", ev.Block, ev.Removed))
		}
	}
	// 9' had no events: nothing to withdraw; the new 9'' brings the log back.
	if !slices.Equal(kinds, []string{"9:false"}) {
		t.Fatalf("events %v, want the re-mined log once", kinds)
	}
	if got, want := spans(bs), []span{{9, 10, 10}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}

func TestFollowConfirmationsHideShallowReorgs(t *testing.T) {
	chain := newFakeChain(8)
	gone := common.HexToAddress("0xa")
	chain.extend(1, "old", sharesLog(t, gone)) // 8
	chain.extend(2, "old")                     // 9, 10
	f, out := testFollower(t, Config{StartBlock: 5, Confirmations: 3}, chain)
	ctx := context.Background()
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := spans(drain(out)), []span{{5, 7, 10}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	chain.fork(8)
	chain.extend(5, "new") // 8'..12'
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	if got, want := spans(bs), []span{{8, 9, 12}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	if len(bs[0].Events) != 0 {
		t.Fatalf("a log reorganised away within the confirmations came out: %+v", bs[0].Events)
	}
}

func TestFollowDeepReorgRereadsTheWindow(t *testing.T) {
	chain := newFakeChain(10)
	op := common.HexToAddress("0xa")
	chain.extend(1, "old", sharesLog(t, op)) // 10
	chain.extend(9, "old")                   // 11..19
	f, out := testFollower(t, Config{StartBlock: 10, ReorgWindow: 4}, chain)
	ctx := context.Background()
	for n := uint64(10); n <= 19; n++ { // one block per sync, as websocket heads come
		head, _ := chain.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
		if err := f.sync(ctx, head); err != nil {
			t.Fatal(err)
		}
	}
	drain(out)
	if len(f.hist.events) != 0 || len(f.hist.blocks) != 4 {
		t.Fatalf("history kept %d blocks and %d events, want the 4 blocks of the window: %+v", len(f.hist.blocks), len(f.hist.events), f.hist)
	}
	chain.fork(12)
	chain.extend(10, "new") // 12'..21'
	if err := f.sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	if len(bs) == 0 || bs[0].From != 16 || bs[len(bs)-1].To != 21 {
		t.Fatalf("batches %v, want a re-read from 16 (19 minus the window) to 21", spans(bs))
	}
}

func TestFollowResumesAndRewindsAReorganisedCheckpoint(t *testing.T) {
	chain := newFakeChain(20)
	dir := t.TempDir()
	if err := saveCheckpoint(dir, Checkpoint{ChainID: 5, Block: 15, Hash: common.HexToHash("0xdead")}); err != nil {
		t.Fatal(err)
	}
	f, out := testFollower(t, Config{StartBlock: 1, StateDir: dir, ChainID: 5, ReorgWindow: 3}, chain)
	if f.next != 16 {
		t.Fatalf("resumed at %d, want 16", f.next)
	}
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got, want := spans(drain(out)), []span{{13, 19, 19}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want a re-read of the window below the stale checkpoint", got)
	}
}

func TestFollowFailedReadChangesNothing(t *testing.T) {
	chain := newFakeChain(10)
	chain.extend(1, "x", sharesLog(t, common.HexToAddress("0xa"))) // 10
	f, out := testFollower(t, Config{StartBlock: 9}, chain)
	chain.fail["FilterLogs"] = 1
	if err := f.sync(context.Background(), nil); err == nil {
		t.Fatal("sync succeeded through a failing read")
	}
	// Only the head goes out, so that what is scheduled by block downstream follows the chain.
	if got, want := spans(drain(out)), []span{{9, 8, 10}}; f.next != 9 || !slices.Equal(got, want) {
		t.Fatalf("a failed sync moved on: next %d, batches %v, want %v", f.next, got, want)
	}
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	if got, want := spans(bs), []span{{9, 10, 10}}; !slices.Equal(got, want) || len(bs[0].Events) != 1 {
		t.Fatalf("batches %v, want 9..10 with its event", got)
	}
}

// fakeClock hands out timers that fire only when the test says so.
type fakeClock struct {
	mu     sync.Mutex
	timers []fakeTimer
	added  chan time.Duration
}

type fakeTimer struct {
	d  time.Duration
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{added: make(chan time.Duration, 100)} }

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.timers = append(c.timers, fakeTimer{d, ch})
	c.mu.Unlock()
	c.added <- d
	return ch
}

// fire fires the pending timers of duration d.
func (c *fakeClock) fire(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.d == d {
			tm.ch <- time.Time{}
			continue
		}
		kept = append(kept, tm)
	}
	c.timers = kept
}

// awaitTimer waits until the watcher arms a timer of duration d.
func (c *fakeClock) awaitTimer(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case got := <-c.added:
			if got == d {
				return
			}
		case <-deadline:
			t.Fatalf("no %v timer armed", d)
		}
	}
}

func TestRunBacksOffOnTheInjectedClock(t *testing.T) {
	chain := newFakeChain(10)
	chain.extend(1, "x", sharesLog(t, common.HexToAddress("0xa"))) // 10
	chain.fail["FilterLogs"] = 2
	w, err := New(Config{HTTPURL: "http://unused", Sources: testSources(), StartBlock: 10, PollInterval: time.Hour,
		RetryMin: time.Second, RetryMax: 3 * time.Second}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	w.after = clock.after
	w.dialHTTP = func(context.Context, string) (chainReader, error) { return chain, nil }
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Batch, 10)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, out) }()

	clock.awaitTimer(t, time.Second) // first failure
	if st := w.Status(); st.Connected || st.Mode != "poll" {
		t.Fatalf("status after a failed read: %+v", st)
	}
	clock.fire(time.Second)
	clock.awaitTimer(t, 2*time.Second) // second failure: doubled
	clock.fire(2 * time.Second)
	for b := range out {
		if b.To < b.From {
			continue // the head, announced while the logs could not be read
		}
		if b.From != 10 || b.To != 10 || len(b.Events) != 1 {
			t.Fatalf("batch %+v", b)
		}
		break
	}
	chain.extend(1, "y")
	clock.fire(time.Hour) // a poll tick
	select {
	case b := <-out:
		if b.From != 11 || b.To != 11 {
			t.Fatalf("batch %+v", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no batch after a poll tick")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
}

// rpcError is a JSON-RPC error as the node returns it.
type rpcError struct {
	code int
	msg  string
}

func (e *rpcError) Error() string  { return e.msg }
func (e *rpcError) ErrorCode() int { return e.code }

// A provider that caps eth_getLogs at 50 blocks, met 300 blocks behind with a 2000-block range:
// the range halves until the provider accepts it, every block is read once and in order, and the
// range grows back once reads succeed.
func TestFollowShrinksARefusedRangeAndGrowsItBack(t *testing.T) {
	chain := newFakeChain(100)
	a := common.HexToAddress("0xa")
	chain.extend(1, "x", sharesLog(t, a)) // 100
	chain.extend(299, "y")                // 101..399
	chain.maxRange = 50
	reg := prometheus.NewRegistry()
	w, err := New(Config{HTTPURL: "http://unused", Sources: testSources(), StartBlock: 100, MaxRange: 2000}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan Batch, 100)
	f, err := w.resume(out)
	if err != nil {
		t.Fatal(err)
	}
	f.chain = chain
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	next := uint64(100)
	for _, b := range bs {
		if b.From != next || b.To-b.From+1 > 50 || b.Head != 399 {
			t.Fatalf("batch %d..%d head %d, want from %d, at most 50 blocks, head 399", b.From, b.To, b.Head, next)
		}
		next = b.To + 1
	}
	if next != 400 || len(bs[0].Events) != 1 {
		t.Fatalf("read up to %d, first batch %+v", next-1, bs[0])
	}
	// 2000, 1000, 500, 250, 125, 62 refused; 31 accepted; after growAfter reads, 62 tried and
	// refused again.
	if got := w.Status().LogRange; got != 31 {
		t.Fatalf("range %d, want 31", got)
	}
	if n := gathered(t, reg, "avssync_log_range_shrinks_total", ""); n != 7 {
		t.Fatalf("log_range_shrinks_total %v, want 7", n)
	}
	if n := gathered(t, reg, "avssync_log_range_blocks", ""); n != 31 {
		t.Fatalf("log_range_blocks %v, want 31", n)
	}
	// The provider lifts its cap: the range doubles after 2·growAfter full reads (the last
	// doubling was refused), then after growAfter again.
	chain.maxRange = 0
	chain.extend(2*growAfter*31+growAfter*62, "z")
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	drain(out)
	if got := w.Status().LogRange; got != 124 {
		t.Fatalf("range %d after the cap was lifted, want 124 (31 doubled twice)", got)
	}
}

// Against a fixed cap, each refused doubling doubles the reads before the next try.
func TestLogRangeBacksOffItsGrowth(t *testing.T) {
	r := newLogRange(2000)
	const limit = 50
	reads, refused := 0, 0
	for range 20000 {
		reads++
		if r.size > limit {
			refused++
			r.shrink()
			continue
		}
		r.succeeded(r.size)
	}
	// 6 halvings from 2000 to 31, 8 tries while the wait doubles from 8 to 1024, then one try per
	// 1024 reads.
	if want := 6 + 8 + reads/maxGrowAfter + 1; r.size > limit || refused > want {
		t.Fatalf("size %d, %d of %d reads refused; want at most %d and at most %d refused", r.size, refused, reads, limit, want)
	}
}

func TestIsRangeLimit(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&rpcError{-32602, "query exceeds max block range 50"}, true},
		{&rpcError{-32000, "block range too large"}, true},
		{&rpcError{-32005, "query returned more than 10000 results. Try with this block range [0x1, 0x2]."}, true},
		{&rpcError{-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range"}, true},
		{&rpcError{-32005, "limit exceeded"}, true},
		{&rpcError{-32000, "exceed maximum block range: 10000"}, true},
		{rpc.HTTPError{StatusCode: 413, Status: "413 Request Entity Too Large"}, true},
		{&rpcError{-32005, "daily request count exceeded, request rate limited"}, false},
		{rpc.HTTPError{StatusCode: 429, Status: "429 Too Many Requests"}, false},
		{&rpcError{-32000, "header not found"}, false},
		{errors.New("batch too large"), true},
		{errors.New("response too large"), true},
		{errors.New("dial tcp: connection refused"), false},
		{context.DeadlineExceeded, false},
	} {
		if got := isRangeLimit(fmt.Errorf("read logs: %w", c.err)); got != c.want {
			t.Errorf("isRangeLimit(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A backend behind a load balancer that lags answers a range read only up to its own head, with
// no error: the verified headers' blooms show which blocks may hold logs, and those are read
// again by hash, so no event is lost.
func TestFollowRereadsWhatALaggingBackendLeftOut(t *testing.T) {
	chain := newFakeChain(10)
	a, b := common.HexToAddress("0xa"), common.HexToAddress("0xb")
	chain.extend(1, "x", sharesLog(t, a)) // 10
	chain.extend(4, "y")                  // 11..14
	chain.extend(1, "z", sharesLog(t, b)) // 15
	chain.extend(2, "w")                  // 16..17
	f, out := testFollower(t, Config{StartBlock: 10}, chain)
	chain.lag = 5 // range reads stop at block 12
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	var ops []common.Address
	for _, bt := range bs {
		for _, ev := range bt.Events {
			ops = append(ops, ev.Operator)
		}
	}
	if !slices.Equal(ops, []common.Address{a, b}) || bs[len(bs)-1].To != 17 {
		t.Fatalf("events of operators %v up to block %d, want %v up to 17", ops, bs[len(bs)-1].To, []common.Address{a, b})
	}
	if n := chain.reads["FilterLogsByHash"]; n != 1 {
		t.Fatalf("%d by-hash reads, want 1 (block 15 only: the other blocks' blooms hold none of ours)", n)
	}
}

// A range answer with a log of a block that is not the one verified (another backend on another
// fork) is not trusted: that block is read again by the hash of the verified chain.
func TestFollowRereadsALogOfAnotherFork(t *testing.T) {
	chain := newFakeChain(10)
	a, b := common.HexToAddress("0xa"), common.HexToAddress("0xb")
	chain.extend(2, "x")                  // 10..11
	chain.extend(1, "y", sharesLog(t, b)) // 12
	chain.extend(1, "z")                  // 13
	f, out := testFollower(t, Config{StartBlock: 10}, chain)
	// The range answer replaces block 12's log by one of another fork's block 12.
	forged := sharesLog(t, a)
	forged.BlockNumber, forged.BlockHash = 12, common.HexToHash("0xf0f0")
	chain.forged = []types.Log{forged}
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var ops []common.Address
	for _, bt := range drain(out) {
		for _, ev := range bt.Events {
			ops = append(ops, ev.Operator)
		}
	}
	if !slices.Equal(ops, []common.Address{b}) || chain.reads["FilterLogsByHash"] != 1 {
		t.Fatalf("events of %v after %d by-hash reads, want only %v after 1", ops, chain.reads["FilterLogsByHash"], b)
	}
}

// A reorganisation that withdraws an AVSUpdated puts the allocation filter back on the old AVS.
func TestFollowReorgRestoresTheAVS(t *testing.T) {
	rcABI := mustABI(t, regcoord.ContractRegistryCoordinatorMetaData.GetAbi)
	newAVS := common.HexToAddress("0xa6")
	chain := newFakeChain(10)
	chain.extend(1, "switch", synthLog(t, rcABI, testRC, "AVSUpdated", testAVS, newAVS)) // 10
	f, out := testFollower(t, Config{StartBlock: 10}, chain)
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if bs := drain(out); len(bs) != 1 || len(bs[0].Events) != 1 || bs[0].Events[0].Kind != AVSChanged || f.w.dec.avs != newAVS {
		t.Fatalf("batches %+v, filter on %s", bs, f.w.dec.avs)
	}
	chain.fork(10)
	chain.extend(2, "other") // 10..11 without the switch
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	if len(bs) == 0 || len(bs[0].Events) != 1 || !bs[0].Events[0].Removed || f.w.dec.avs != testAVS {
		t.Fatalf("batches %+v, filter on %s; want the switch withdrawn and the filter on %s", bs, f.w.dec.avs, testAVS)
	}
}

// During a long backfill the head is read again once a poll interval, so that the Batches, and the
// planner's block-based schedules with them, follow the node rather than the head of the start.
func TestFollowBackfillFollowsTheHead(t *testing.T) {
	chain := newFakeChain(100)
	chain.growOnHead = 5
	f, out := testFollower(t, Config{StartBlock: 1, MaxRange: 10, PollInterval: time.Second}, chain)
	var now time.Time
	f.w.now = func() time.Time { now = now.Add(400 * time.Millisecond); return now }
	if err := f.sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	bs := drain(out)
	first, last := bs[0], bs[len(bs)-1]
	if first.Head != 104 || last.Head <= first.Head || last.To != last.Head {
		t.Fatalf("first batch %d..%d head %d, last %d..%d head %d: want the head to move on from 104 and be reached",
			first.From, first.To, first.Head, last.From, last.To, last.Head)
	}
}

// Behind a load balancer the HTTP backend may lag the websocket's heads by a few blocks: the
// watcher emits the blocks the backend can prove and the rest once it has them, never an error
// and so never a backoff.
func TestFollowEmitsWhatALaggingBackendProves(t *testing.T) {
	chain := newFakeChain(18)
	a := common.HexToAddress("0xa")
	chain.extend(1, "x", sharesLog(t, a)) // 18
	chain.extend(2, "y")                  // 19..20
	chain.headerLag, chain.lag = 3, 3     // the backend's head is 17
	f, out := testFollower(t, Config{StartBlock: 10}, chain)
	wsHead := func() *types.Header {
		chain.mu.Lock()
		defer chain.mu.Unlock()
		return chain.blocks[len(chain.blocks)-1]
	}
	if err := f.sync(context.Background(), wsHead()); err != nil {
		t.Fatal(err)
	}
	if got, want := spans(drain(out)), []span{{10, 17, 20}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	var got []common.Address
	for range 3 {
		chain.extend(1, "z")
		if err := f.sync(context.Background(), wsHead()); err != nil {
			t.Fatal(err)
		}
		for _, b := range drain(out) {
			for _, ev := range b.Events {
				got = append(got, ev.Operator)
			}
		}
	}
	if f.next != 21 || !slices.Equal(got, []common.Address{a}) {
		t.Fatalf("next %d, events of %v; want 21 and the deposit of block 18 once", f.next, got)
	}
}
