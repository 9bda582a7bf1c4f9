package watcher

import (
	"context"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// startDevnet starts a chain for one test; it stops with the test.
func startDevnet(t *testing.T, opts devnet.Options) *devnet.Devnet {
	t.Helper()
	return devnet.StartForTest(t, opts)
}

// devnetSources are the contracts of the devnet's AVS.
func devnetSources(t *testing.T, d *devnet.Devnet) Sources {
	t.Helper()
	c, err := ethclient.Dial(d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := regcoord.NewContractRegistryCoordinator(d.Addresses.RegistryCoordinator, c)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := rc.StakeRegistry(&bind.CallOpts{Context: context.Background()})
	if err != nil {
		t.Fatalf("read stake registry address: %v", err)
	}
	return Sources{
		DelegationManager:   d.Addresses.DelegationManager,
		RegistryCoordinator: d.Addresses.RegistryCoordinator,
		StakeRegistry:       sr,
		AllocationManager:   d.Addresses.AllocationManager,
		AVS:                 d.Addresses.ServiceManager,
	}
}

func headOf(t *testing.T, d *devnet.Devnet) uint64 {
	t.Helper()
	c, err := ethclient.Dial(d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, err := c.BlockNumber(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// running is a watcher under test and everything it emitted. Batches are checked as they come:
// contiguous, no overlap except where a reorganisation withdrew events, events inside their
// Batch's range and in block order.
type running struct {
	t      *testing.T
	w      *Watcher
	cancel context.CancelFunc
	done   chan error // Run's result
	wg     sync.WaitGroup

	mu      sync.Mutex
	batches []Batch
	events  []Event
	changed chan struct{} // receives (without blocking) after each Batch
	// late, when set, lets an event come after its block was emitted: one the log
	// subscription missed and a verification found.
	late bool
}

func startWatcher(t *testing.T, cfg Config, reg prometheus.Registerer) *running {
	t.Helper()
	w, err := New(cfg, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})), reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, w: w, cancel: cancel, done: make(chan error, 1), changed: make(chan struct{}, 1)}
	out := make(chan Batch)
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.done <- w.Run(ctx, out)
	}()
	go func() {
		defer r.wg.Done()
		r.collect(ctx, out)
	}()
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *running) collect(ctx context.Context, out <-chan Batch) {
	next := uint64(0)
	for {
		var b Batch
		select {
		case <-ctx.Done():
			return
		case b = <-out:
		}
		r.mu.Lock()
		withdrawn := len(b.Events) > 0 && b.Events[0].Removed
		if len(r.batches) > 0 && b.From != next && !(withdrawn && b.From < next) {
			r.t.Errorf("batch %d..%d does not follow %d..%d", b.From, b.To, next-1, next-1)
		}
		if b.To+1 < b.From {
			r.t.Errorf("batch %d..%d is malformed", b.From, b.To)
		}
		last := uint64(0)
		for _, ev := range b.Events {
			if ev.Removed {
				continue
			}
			if ev.Block < b.From && r.late {
				continue
			}
			if ev.Block < b.From || ev.Block > b.To || ev.Block < last {
				r.t.Errorf("event %s at block %d out of place in batch %d..%d", ev.Name, ev.Block, b.From, b.To)
			}
			last = ev.Block
		}
		next = b.To + 1
		r.batches = append(r.batches, b)
		r.events = append(r.events, b.Events...)
		r.mu.Unlock()
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}
}

// stop cancels the watcher and waits for Run to return, which must be with nil.
func (r *running) stop() {
	r.t.Helper()
	r.cancel()
	r.wg.Wait()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run = %v, want nil after cancel", err)
		}
	default:
	}
}

// await waits until cond holds over what was emitted so far.
func (r *running) await(timeout time.Duration, what string, cond func(events []Event, batches []Batch) bool) {
	r.t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		ok := cond(r.events, r.batches)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case err := <-r.done:
			r.t.Fatalf("Run returned %v while waiting for %s", err, what)
		case <-deadline:
			r.t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// awaitEvent waits for an event matching match and returns it with the Batch that carried it.
func (r *running) awaitEvent(timeout time.Duration, what string, match func(Event) bool) (Event, Batch) {
	r.t.Helper()
	var found Event
	var in Batch
	r.await(timeout, what, func(_ []Event, bs []Batch) bool {
		for _, b := range bs {
			for _, ev := range b.Events {
				if match(ev) {
					found, in = ev, b
					return true
				}
			}
		}
		return false
	})
	return found, in
}

// awaitBlock waits until block n was emitted.
func (r *running) awaitBlock(timeout time.Duration, n uint64) {
	r.t.Helper()
	r.await(timeout, "block "+big.NewInt(int64(n)).String(), func(_ []Event, bs []Batch) bool {
		return len(bs) > 0 && bs[len(bs)-1].To >= n
	})
}

func (r *running) count(match func(Event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if match(ev) {
			n++
		}
	}
	return n
}

// eventually polls cond, for state that announces no change (Status).
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

func deposited(op common.Address, tx common.Hash) func(Event) bool {
	return func(ev Event) bool {
		return ev.Kind == SharesChanged && ev.Name == "OperatorSharesIncreased" && ev.Operator == op && ev.TxHash == tx && !ev.Removed
	}
}

func txEvents(tx common.Hash) func(Event) bool {
	return func(ev Event) bool { return ev.TxHash == tx }
}

// gathered returns the value of the series name (with label kind, when set) in reg.
func gathered(t *testing.T, reg *prometheus.Registry, name, kind string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if kind != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != kind) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s{kind=%q}", name, kind)
	return 0
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

// operator registers devnet key i as an EigenLayer operator (delegated to itself, so its deposits
// move its own shares).
func operator(t *testing.T, ctx context.Context, d *devnet.Devnet, i int) *devnet.Actor {
	t.Helper()
	a, err := d.Actor(ctx, i)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := a.RegisterOperator(ctx); err != nil {
		t.Fatal(err)
	}
	return a
}

func deposit(t *testing.T, ctx context.Context, a *devnet.Actor) *types.Receipt {
	t.Helper()
	r, err := a.Deposit(ctx, big.NewInt(1e18))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// 1 and 2: a deposit's SharesChanged arrives for the right operator within a couple of blocks.
func TestDepositArrives(t *testing.T) {
	for _, mode := range []string{"ws", "poll"} {
		t.Run(mode, func(t *testing.T) {
			d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			op := operator(t, ctx, d, 3)
			cfg := Config{HTTPURL: d.HTTPURL, Sources: devnetSources(t, d), StartBlock: headOf(t, d) + 1, PollInterval: 50 * time.Millisecond}
			if mode == "ws" {
				cfg.WSURL, cfg.PollInterval = d.WSURL, time.Hour
			}
			reg := prometheus.NewRegistry()
			r := startWatcher(t, cfg, reg)
			r.await(5*time.Second, "a first batch", func(_ []Event, bs []Batch) bool { return len(bs) > 0 })

			rec := deposit(t, ctx, op)
			ev, b := r.awaitEvent(5*time.Second, "the deposit's SharesChanged", deposited(op.Address, rec.TxHash))
			located := false
			for _, l := range rec.Logs {
				located = located || (l.Index == ev.LogIndex && l.BlockNumber == ev.Block && l.Address == d.Addresses.DelegationManager)
			}
			if !located {
				t.Fatalf("event %+v does not locate a DelegationManager log of the receipt", ev)
			}
			if b.Head > ev.Block+2 {
				t.Fatalf("the deposit of block %d arrived only at head %d", ev.Block, b.Head)
			}
			// The watcher records a batch as processed once the receiver has taken it, so its
			// status may trail the event by a moment.
			var st Status
			eventually(t, 5*time.Second, "the status past the deposit's block", func() bool {
				st = r.w.Status()
				return st.LastBlock >= ev.Block
			})
			if st.Mode != mode || !st.Connected || st.Head < st.LastBlock {
				t.Fatalf("status %+v", st)
			}
			if n := gathered(t, reg, "avssync_events_total", "shares_changed"); n < 1 {
				t.Fatalf("avssync_events_total{kind=shares_changed} = %v", n)
			}
			if n := gathered(t, reg, "avssync_last_processed_block", ""); n < float64(ev.Block) {
				t.Fatalf("avssync_last_processed_block = %v, want >= %d", n, ev.Block)
			}
			// The block time is measured in either mode; the head's age is well below it at 50 ms
			// blocks unless the machine stalls.
			eventually(t, 10*time.Second, "a measured block time", func() bool { return r.w.Status().BlockTime > 0 })
			if n := gathered(t, reg, "avssync_head_block", ""); n < float64(ev.Block) {
				t.Fatalf("avssync_head_block = %v, want >= %d", n, ev.Block)
			}
			if age := gathered(t, reg, "avssync_head_age_seconds", ""); age < 0 || age > 10 {
				t.Fatalf("avssync_head_age_seconds = %v on a live chain", age)
			}
			wantWS := map[string]float64{"ws": 1, "poll": 0}[mode]
			if n := gathered(t, reg, "avssync_ws_connected", ""); n != wantWS {
				t.Fatalf("avssync_ws_connected = %v in %s mode", n, mode)
			}
		})
	}
}

// 3: events made while the websocket is down arrive once it is back, exactly once.
func TestWebsocketOutageIsBackfilled(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	op := operator(t, ctx, d, 3)
	// No HTTP polling while the websocket is down: what the outage hid can only come back through
	// the backfill after reconnecting.
	r := startWatcher(t, Config{
		HTTPURL: d.HTTPURL, WSURL: d.WSURL, Sources: devnetSources(t, d), StartBlock: headOf(t, d) + 1,
		PollInterval: time.Hour, RetryMin: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond,
	}, nil)
	eventually(t, 5*time.Second, "the websocket", func() bool { return r.w.Status().Mode == "ws" })
	r.await(5*time.Second, "a first batch", func(_ []Event, bs []Batch) bool { return len(bs) > 0 })

	d.CutWS(true)
	eventually(t, 5*time.Second, "the websocket to drop", func() bool { return r.w.Status().Mode == "poll" })
	var txs []common.Hash
	var last uint64
	for range 3 {
		rec := deposit(t, ctx, op)
		txs = append(txs, rec.TxHash)
		last = rec.BlockNumber.Uint64()
	}
	for _, tx := range txs {
		if n := r.count(txEvents(tx)); n != 0 {
			t.Fatalf("deposit %s arrived while the websocket was down and polling was off", tx)
		}
	}
	d.CutWS(false)
	for _, tx := range txs {
		r.awaitEvent(5*time.Second, "deposit "+tx.Hex(), deposited(op.Address, tx))
	}
	r.awaitBlock(5*time.Second, last+3)
	for _, tx := range txs {
		if n := r.count(txEvents(tx)); n != 1 {
			t.Fatalf("deposit %s arrived %d times", tx, n)
		}
	}
	if st := r.w.Status(); st.Reconnects < 1 || st.Mode != "ws" {
		t.Fatalf("status after the outage: %+v", st)
	}
}

// 4: a restarted watcher resumes from its checkpoint and emits what happened while it was stopped.
func TestCheckpointResume(t *testing.T) {
	d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	op := operator(t, ctx, d, 3)
	dir := t.TempDir()
	cfg := Config{HTTPURL: d.HTTPURL, Sources: devnetSources(t, d), StartBlock: headOf(t, d) + 1,
		PollInterval: 50 * time.Millisecond, StateDir: dir, ChainID: devnet.ChainID}

	first := startWatcher(t, cfg, nil)
	first.awaitBlock(5*time.Second, cfg.StartBlock+2)
	first.stop()
	stopped := first.w.Status().LastBlock
	cp, ok, err := LoadCheckpoint(dir)
	if err != nil || !ok || cp.Block != stopped || cp.ChainID != devnet.ChainID {
		t.Fatalf("checkpoint %+v, %v, %v; want block %d of chain %d", cp, ok, err, stopped, devnet.ChainID)
	}

	a, b := deposit(t, ctx, op), deposit(t, ctx, op)
	cfg.StartBlock = headOf(t, d) + 1000 // ignored: the checkpoint wins
	second := startWatcher(t, cfg, nil)
	second.awaitEvent(5*time.Second, "the first missed deposit", deposited(op.Address, a.TxHash))
	second.awaitEvent(5*time.Second, "the second missed deposit", deposited(op.Address, b.TxHash))
	second.mu.Lock()
	from := second.batches[0].From
	second.mu.Unlock()
	if from != stopped+1 {
		t.Fatalf("resumed at block %d, want %d", from, stopped+1)
	}
}

// 5: reorganisations. With no confirmations an emitted log that a reorganisation drops comes back
// removed; with confirmations a log dropped before it is buried never comes out.
func TestReorg(t *testing.T) {
	for _, mode := range []string{"ws", "poll"} {
		t.Run("withdrawn/"+mode, func(t *testing.T) {
			d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			op := operator(t, ctx, d, 3)
			cfg := Config{HTTPURL: d.HTTPURL, Sources: devnetSources(t, d), StartBlock: headOf(t, d) + 1, PollInterval: 50 * time.Millisecond}
			if mode == "ws" {
				cfg.WSURL, cfg.PollInterval = d.WSURL, time.Hour
			}
			r := startWatcher(t, cfg, nil)
			rec := deposit(t, ctx, op)
			r.awaitEvent(5*time.Second, "the deposit", deposited(op.Address, rec.TxHash))

			block, err := d.DropTx(ctx, rec.TxHash)
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := r.awaitEvent(5*time.Second, "the deposit withdrawn", func(ev Event) bool { return ev.TxHash == rec.TxHash && ev.Removed })
			if ev.Kind != SharesChanged || ev.Operator != op.Address || ev.Block != block {
				t.Fatalf("withdrawn event %+v", ev)
			}
			r.awaitBlock(5*time.Second, block+3)
			if n := r.count(txEvents(rec.TxHash)); n != 2 {
				t.Fatalf("the dropped deposit came out %d times, want twice (emitted, withdrawn)", n)
			}
		})
	}
	t.Run("confirmations", func(t *testing.T) {
		d := startDevnet(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		op := operator(t, ctx, d, 3)
		const confirmations = 40 // two seconds of blocks: far more than DropTx needs after the receipt
		r := startWatcher(t, Config{HTTPURL: d.HTTPURL, WSURL: d.WSURL, Sources: devnetSources(t, d),
			StartBlock: headOf(t, d) + 1, Confirmations: confirmations, PollInterval: time.Hour}, nil)
		rec := deposit(t, ctx, op)
		block, err := d.DropTx(ctx, rec.TxHash)
		if err != nil {
			t.Fatal(err)
		}
		kept := deposit(t, ctx, op) // proof that the watcher goes on emitting past the fork
		r.awaitEvent(10*time.Second, "a later deposit", deposited(op.Address, kept.TxHash))
		if n := r.count(txEvents(rec.TxHash)); n != 0 {
			t.Fatalf("a deposit dropped within %d confirmations came out %d times", confirmations, n)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, b := range r.batches {
			if b.From <= block && b.To >= block && b.Head < block+confirmations {
				t.Fatalf("batch %d..%d emitted block %d at head %d, under %d confirmations", b.From, b.To, block, b.Head, confirmations)
			}
		}
	})
}

// A checkpoint of another chain stops Run at once: the state directory belongs to another
// deployment. One that cannot be used (corrupt, empty, incomplete) is a warning and a metric, and
// Run goes on from StartBlock: the checkpoint is optional.
func TestRunBadCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		fatal         bool
	}{
		{"corrupt", "{\"chain_id\": 31337, \"block\": ", false},
		{"empty", "", false},
		{"no hash", `{"chain_id": 31337, "block": 5}`, false},
		{"other chain", `{"chain_id": 1, "block": 5, "hash": "0x0000000000000000000000000000000000000000000000000000000000000001"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, checkpointFile), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			w, err := New(Config{HTTPURL: "http://127.0.0.1:1", Sources: testSources(), StateDir: dir, ChainID: 31337, StartBlock: 7}, nil, reg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			err = w.Run(ctx, make(chan Batch))
			if tc.fatal {
				if err == nil || ctx.Err() != nil {
					t.Fatalf("Run = %v, want an immediate checkpoint error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run = %v, want it to go on without the checkpoint", err)
			}
			if n := testutil.ToFloat64(w.metrics.checkpoint); n != 1 {
				t.Fatalf("avssync_checkpoint_errors_total = %v, want 1", n)
			}
		})
	}
}

// A checkpoint that cannot be written is counted and warned about, and following goes on.
func TestCheckpointWriteFailure(t *testing.T) {
	d := startDevnet(t, devnet.Options{})
	dir := t.TempDir()
	// A directory with an entry where the file goes: neither replaced nor read, even by root.
	if err := os.MkdirAll(filepath.Join(dir, checkpointFile, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	cfg := Config{HTTPURL: d.HTTPURL, Sources: devnetSources(t, d), StateDir: dir, ChainID: devnet.ChainID, StartBlock: headOf(t, d) + 1,
		PollInterval: 20 * time.Millisecond, RetryMin: 10 * time.Millisecond}
	w, err := New(cfg, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := make(chan Batch, 100)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, out) }()
	var last uint64
	for last < cfg.StartBlock+3 {
		d.Mine()
		select {
		case b := <-out:
			last = max(last, b.To)
		case err := <-done:
			t.Fatalf("Run returned %v while the checkpoint could not be written", err)
		case <-ctx.Done():
			t.Fatal("no batches")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// One for the read at start, then one per block emitted.
	if n := testutil.ToFloat64(w.metrics.checkpoint); n < 3 {
		t.Fatalf("avssync_checkpoint_errors_total = %v after failed writes, want each counted", n)
	}
}
