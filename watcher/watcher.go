package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/backoff"
	"github.com/avs-sync/avs-sync/internal/statefile"
)

// Sources are the contracts whose logs matter. Zero addresses are skipped (AllocationManager is
// zero on pre-slashing deployments).
type Sources struct {
	DelegationManager   common.Address
	RegistryCoordinator common.Address
	StakeRegistry       common.Address
	// AllocationManager, when set, needs AVS.
	AllocationManager common.Address
	// AVS is the address the AVS's operator sets are keyed by in the AllocationManager
	// (RegistryCoordinator.avs()); allocations to other AVSs' operator sets are dropped.
	AVS common.Address
	// SignatureCheckers are the BLSSignatureCheckers whose StaleStakesForbiddenUpdate matters.
	SignatureCheckers []common.Address
	// ECDSAStakeRegistry is the registry of an ECDSA AVS, in place of the RegistryCoordinator
	// and StakeRegistry: its one quorum is quorum 0.
	ECDSAStakeRegistry common.Address
}

// Config configures a Watcher. Zero durations and sizes take the defaults noted.
type Config struct {
	// HTTPURL is required: every log range, header and, in polling mode, head is read over it.
	HTTPURL string
	// WSURL, when set, adds eth_subscribe newHeads and logs; when empty the watcher polls HTTP.
	WSURL   string
	Sources Sources
	// Confirmations is how many blocks must bury a block before its logs are emitted (0 = at once).
	Confirmations uint64
	// PollInterval is how often the head is read over HTTP in polling mode, and in websocket
	// mode while the subscription is down. With the subscription live the head is read every two
	// block times; a tick reads it only while the block time is not known yet and the
	// subscription's heads have been silent for a poll interval. Default 2s.
	PollInterval time.Duration
	// VerifyInterval is how often, with the log subscription live, the blocks emitted from it
	// are verified by a range read of eth_getLogs (default 2m): a log the subscription did not
	// deliver comes out at most this late.
	VerifyInterval time.Duration
	// BlockTime is the chain's block time; 0 measures it from the websocket's heads.
	BlockTime time.Duration
	// MaxRange is the most blocks one eth_getLogs covers (default 2000). A range the node refuses
	// as too large is halved, down to one block, and grows back after reads succeed.
	MaxRange uint64
	// BatchSize is the most calls in one JSON-RPC batch request (default 500).
	BatchSize int
	// StateDir holds checkpoint.json; "" keeps no checkpoint.
	StateDir string
	// StartBlock is the first block to read when there is no checkpoint.
	StartBlock uint64
	// ChainID is written into the checkpoint; a checkpoint of another chain is an error.
	// Required with StateDir.
	ChainID uint64
	// ReorgWindow is how many blocks below the last emitted one the watcher remembers to find
	// where a reorganisation forked (default 128). A deeper one re-reads the whole window.
	ReorgWindow uint64
	// HTTPClient, when set, carries the HTTP JSON-RPC requests (for instance one that counts them).
	HTTPClient *http.Client
	// RetryMin and RetryMax bound the exponential backoff after a failed read or a lost
	// websocket (defaults 250ms and 30s).
	RetryMin, RetryMax time.Duration
}

// DefaultVerifyInterval is how often the blocks emitted from the log subscription are verified
// by a range read: one eth_getLogs, and one or two headers, every two minutes (about 1 compute
// unit a second at Alchemy's prices; docs/operating.md has the idle cost).
const DefaultVerifyInterval = 2 * time.Minute

// Batch is what the watcher emits, in block order: every event of blocks From..To
// (To <= Head-Confirmations), and the newest head seen. When only the head moved, To is From-1
// and Events is empty; such a head-only Batch also goes out when a newer head is seen while the
// blocks below it cannot be read yet (a failing node, a refused range), so that Head follows the
// node's head even while the watcher is behind. After a reorganisation the first Batch starts with the withdrawn events
// (Removed set, Block at or above From, possibly above To when the new chain is shorter or not
// yet confirmed), then the events of the new chain. A log the websocket's subscription did not
// deliver, found by a later verification, comes out late: at the front of a Batch, its Block
// below From.
type Batch struct {
	From, To, Head uint64
	Events         []Event
}

// Status is a snapshot of the watcher, for readiness checks and the status command.
type Status struct {
	// Mode is "ws" while the websocket subscription is live, "poll" otherwise (polling mode,
	// or websocket mode falling back to HTTP).
	Mode string
	// Connected reports that the last read of the chain succeeded.
	Connected bool
	// LastBlock is the To of the last Batch emitted (0 before the first).
	LastBlock uint64
	// Head is the node's head as last seen (lower after a reorganisation to a shorter chain).
	Head uint64
	// Reconnects counts websocket subscriptions re-established after a loss.
	Reconnects uint64
	// MissedLogs counts logs the log subscription never delivered that a verification read found.
	MissedLogs uint64
	// HeadChanged is when the node's head was last seen to advance (zero before the first head).
	HeadChanged time.Time
	// BlockTime is the block time in use: Config.BlockTime, else the median interval between
	// the heads seen (websocket heads, or in polling mode heads found by polls, to within a poll
	// interval); 0 until measured.
	BlockTime time.Duration
	// LogRange is the current span of one eth_getLogs, in blocks.
	LogRange uint64
}

// HeadAge is how long the node's head has not advanced at now: what readiness compares with a
// few block times to tell a node that stopped producing blocks. It is 0 before the first head.
func (s Status) HeadAge(now time.Time) time.Duration {
	if s.HeadChanged.IsZero() {
		return 0
	}
	return max(0, now.Sub(s.HeadChanged))
}

// Watcher follows the chain and emits Batches of Events. Build one with New; Run it once.
type Watcher struct {
	cfg Config
	log *slog.Logger
	// dec is written by the follower's goroutine only (a moved StakeRegistry), under decMu;
	// other goroutines read it under decMu.
	dec   *decoder
	decMu sync.Mutex
	// moveSR is the StakeRegistry address the follower moves its filter to before its next
	// read; zero when none is pending. Guarded by mu.
	moveSR common.Address
	// moved wakes Run's loop for a read of logs when SetStakeRegistry asked for a move (the live
	// path reads none on its own); resubscribe ends the websocket session once the decoder
	// follows the new address, so that the log subscription is made again for it. Both hold at
	// most one signal.
	moved, resubscribe chan struct{}
	metrics            *metrics
	// after and now are the clock: poll intervals and backoff delays wait on after; head age
	// and block time are read from now.
	after func(time.Duration) <-chan time.Time
	now   func() time.Time
	// dialHTTP opens the reader of log ranges and headers.
	dialHTTP func(ctx context.Context, url string) (chainReader, error)

	running atomic.Bool
	// wantHeads is set while the block time is not known: the websocket then subscribes to new
	// heads as well, to measure it.
	wantHeads atomic.Bool

	mu     sync.Mutex
	status Status // Mode and Connected are derived on read from wsLive and readOK
	wsLive bool
	// session counts the websocket subscriptions made.
	session uint64
	readOK  bool
	// topHead is the highest head seen: status.HeadChanged is when it last rose.
	topHead uint64
}

// New checks cfg, fills in its defaults and registers the watcher's metrics on reg (none when
// reg is nil).
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Watcher, error) {
	if cfg.HTTPURL == "" {
		return nil, errors.New("watcher: an HTTP RPC URL is required")
	}
	if cfg.StateDir != "" && cfg.ChainID == 0 {
		return nil, errors.New("watcher: a chain id is required to keep a checkpoint")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.VerifyInterval <= 0 {
		cfg.VerifyInterval = DefaultVerifyInterval
	}
	if cfg.MaxRange == 0 {
		cfg.MaxRange = 2000
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.BlockTime < 0 {
		return nil, errors.New("watcher: the block time must not be negative")
	}
	if cfg.ReorgWindow == 0 {
		cfg.ReorgWindow = 128
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 250 * time.Millisecond
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(30*time.Second, cfg.RetryMin)
	}
	dec, err := newDecoder(cfg.Sources)
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		cfg:         cfg,
		log:         log,
		dec:         dec,
		moved:       make(chan struct{}, 1),
		resubscribe: make(chan struct{}, 1),
		after:       time.After,
		now:         time.Now,
		status:      Status{BlockTime: cfg.BlockTime, LogRange: cfg.MaxRange},
		dialHTTP: func(ctx context.Context, url string) (chainReader, error) {
			return dialChain(ctx, url, cfg.HTTPClient, cfg.BatchSize)
		},
	}
	m, err := newMetrics(reg, func() float64 { return w.Status().HeadAge(w.now()).Seconds() })
	if err != nil {
		return nil, fmt.Errorf("watcher: register metrics: %w", err)
	}
	w.metrics = m
	m.logRange(cfg.MaxRange, false)
	return w, nil
}

// Run follows the chain, sending Batches to out until ctx ends; it never closes out. It returns
// nil when ctx ends, and an error only for what retrying cannot fix: a checkpoint of another
// chain. A checkpoint that cannot be read or written is a warning and avssync_checkpoint_errors_total. Failed reads are retried with capped exponential backoff and logged.
// Run returns only after every goroutine it started has stopped.
func (w *Watcher) Run(ctx context.Context, out chan<- Batch) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("watcher: already running")
	}
	defer w.running.Store(false)

	f, err := w.resume(out)
	if err != nil {
		return err
	}
	chain, err := w.dialHTTP(ctx, w.cfg.HTTPURL)
	if err != nil {
		return fmt.Errorf("watcher: open %s: %w", w.cfg.HTTPURL, err)
	}
	if c, ok := chain.(interface{ Close() }); ok {
		defer c.Close()
	}
	f.chain = chain

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	// A move asked for before the start: the first subscription filters on the new address.
	if err := w.followMoves(); err != nil {
		return err
	}
	select {
	case <-w.resubscribe:
	default:
	}
	var notes chan wsNote // nil in polling mode: never ready
	if w.cfg.WSURL != "" {
		notes = make(chan wsNote)
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.followWS(ctx, notes)
		}()
	}
	w.log.Info("watching the chain", "from_block", f.next, "confirmations", w.cfg.Confirmations,
		"websocket", w.cfg.WSURL != "", "poll_interval", w.cfg.PollInterval)

	var (
		bo = backoff.New(backoff.Policy{First: w.cfg.RetryMin, Max: w.cfg.RetryMax})
		// due asks for a read by the verified path (see follow.go); tickDue and verifyDue for
		// the live path's head read and its verification (see live.go), which fall back on the
		// verified path while the subscription does not cover the blocks to read.
		due                = true
		tickDue, verifyDue bool
		hint               *types.Header
		retry              <-chan time.Time // set while backing off after a failed read
		poll               = w.after(w.cfg.PollInterval)
		// tick paces the live path's head reads: every two block times, once the block time
		// is known.
		tick <-chan time.Time
		// wsHead is when the websocket last delivered a newer head (while the block time is
		// measured from its heads); a poll tick reads the chain only once the subscription has
		// been silent for longer than a block.
		wsHead   time.Time
		bt       = blockTimer{fixed: w.cfg.BlockTime}
		verified = w.now() // when the live path was last verified
	)
	w.wantHeads.Store(!bt.measured())
	for {
		if retry == nil && (due || tickDue || verifyDue) {
			// A move asked for since: the decoder follows it before this read, and the
			// subscription is made again for it.
			if err := w.followMoves(); err != nil {
				w.log.Warn("following the moved stake registry failed", "err", err)
			}
			session, up := w.liveSession()
			full := due || !up || !f.live() || f.coveredSession != session
			var err error
			switch {
			case full:
				wasVerified := f.vnext >= f.next
				if err = f.sync(ctx, hint); err == nil {
					if wasVerified {
						f.vnext = f.next
					}
					if s, u := w.liveSession(); up && u && s == session {
						// The subscription was made before this read of the head: it
						// delivers every block above it.
						f.coveredFrom, f.coveredSession = f.head+1, session
					}
				}
			case verifyDue:
				err = f.verify(ctx)
			default:
				err = f.tick(ctx)
			}
			hint = nil
			switch {
			case isFatal(err):
				return err
			case ctx.Err() != nil:
				return nil
			case err != nil:
				w.setReadOK(false)
				d := bo.Next()
				w.log.Warn("reading the chain failed; retrying", "err", err, "next_block", f.next, "retry_in", d)
				retry = w.after(d)
			default:
				w.setReadOK(true)
				bo.Reset()
				if verifyDue && !full {
					verified = w.now()
				}
				due, tickDue, verifyDue = false, false, false
				if bt.observe(w.Status().Head, w.now()) {
					// The block time is measured from the heads reads find, to within a
					// poll interval, as well as from the websocket's heads.
					w.setBlockTime(bt.get())
					w.wantHeads.Store(!bt.measured())
				}
			}
		}
		if tick == nil && notes != nil && bt.get() > 0 {
			tick = w.after(2 * bt.get())
		}
		select {
		case <-ctx.Done():
			return nil
		case n := <-notes:
			if n.up {
				due = true
			}
			if n.head != nil {
				hint = n.head
				now := w.now()
				if bt.observe(n.head.Number.Uint64(), now) {
					wsHead = now
					w.setBlockTime(bt.get())
					w.wantHeads.Store(!bt.measured())
					if retry != nil {
						// Reads are failing: the head still goes out, so that what is
						// scheduled by block downstream keeps time while they are retried.
						if err := f.announce(ctx, n.head.Number.Uint64()); err != nil && ctx.Err() == nil {
							w.log.Debug("announcing the head failed", "err", err)
						}
					}
				}
				if session, up := w.liveSession(); !up || !f.live() || f.coveredSession != session {
					// Once the live path covers the chain, heads only measure the block time.
					due = true
				}
			}
			if len(n.logs) > 0 {
				withdrawn, top, topHash := f.deliver(n.logs)
				session, up := w.liveSession()
				switch {
				case withdrawn:
					// A reorganisation took back a log we emitted: read the chain now.
					due = true
				case top > 0 && up && f.live() && f.coveredSession == session && !due:
					if top > f.head {
						f.setHead(top)
					}
					if err := f.emitLive(ctx, top, topHash); err != nil {
						if ctx.Err() != nil {
							return nil
						}
						w.log.Debug("emitting the subscription's logs failed", "err", err)
						due = true
					}
				}
			}
		case <-w.moved:
			due = true
		case <-poll:
			poll = w.after(w.cfg.PollInterval)
			if retry != nil && (notes == nil || !w.Status().wsUp()) {
				// Reads are failing and no subscription says where the chain is: the head still
				// goes out each poll, so that what is scheduled by block downstream keeps time
				// while they are retried.
				if h, err := f.chain.HeaderByNumber(ctx, nil); err == nil {
					if err := f.announce(ctx, h.Number.Uint64()); err != nil && ctx.Err() == nil {
						w.log.Debug("announcing the head failed", "err", err)
					}
				}
			}
			switch {
			case notes == nil || !w.Status().wsUp():
				due = true
			case bt.get() == 0 && (wsHead.IsZero() || w.now().Sub(wsHead) >= bt.silence(w.cfg.PollInterval)):
				due = true
			}
		case <-tick:
			tick = w.after(2 * bt.get())
			if w.Status().wsUp() {
				if w.now().Sub(verified) >= w.cfg.VerifyInterval {
					verifyDue = true
				} else {
					tickDue = true
				}
			}
		case <-retry:
			retry = nil
			if !tickDue && !verifyDue {
				due = true
			}
		}
	}
}

// Status returns a snapshot of the watcher; safe for concurrent use.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.status
	s.Mode = "poll"
	if w.wsLive {
		s.Mode = "ws"
	}
	s.Connected = w.readOK
	return s
}

// resume builds the follower's starting point: the checkpoint when there is one, else StartBlock.
func (w *Watcher) resume(out chan<- Batch) (*follower, error) {
	f := &follower{w: w, out: out, next: w.cfg.StartBlock, hist: history{window: w.cfg.ReorgWindow}, rng: newLogRange(w.cfg.MaxRange),
		buf: map[logKey]types.Log{}, seen: map[logKey]uint64{}}
	defer func() { f.vnext = f.next }()
	if w.cfg.StateDir == "" {
		return f, nil
	}
	// The checkpoint only saves reading blocks again: the start-up check of every registered
	// operator catches whatever happened before StartBlock. A checkpoint that cannot be used is a
	// warning, never a reason to stop (a crash loop under a restart policy).
	if err := statefile.MkdirAll(w.cfg.StateDir); err != nil {
		w.metrics.checkpointError()
		w.log.Warn("checkpoint unusable; starting from the start-up check", "from_block", f.next, "err", err)
		return f, nil
	}
	cp, ok, err := LoadCheckpoint(w.cfg.StateDir)
	if err != nil {
		w.metrics.checkpointError()
		w.log.Warn("checkpoint unusable; starting from the start-up check", "from_block", f.next, "err", err)
		return f, nil
	}
	if !ok {
		return f, nil
	}
	if cp.ChainID != w.cfg.ChainID {
		return nil, fmt.Errorf("watcher: the checkpoint in %s is of chain %d, not %d; move it away to start afresh",
			w.cfg.StateDir, cp.ChainID, w.cfg.ChainID)
	}
	f.next = cp.Block + 1
	f.hist.blocks = []blockRef{{Number: cp.Block, Hash: cp.Hash}}
	f.saved = cp
	f.resumed = true
	w.setProgress(cp.Block, 0)
	w.log.Info("resuming from checkpoint", "block", cp.Block, "hash", cp.Hash)
	return f, nil
}

// liveSession returns the current websocket subscription, and whether it is live.
func (w *Watcher) liveSession() (uint64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.session, w.wsLive
}

// wsUp reports that the websocket subscription is live.
func (s Status) wsUp() bool { return s.Mode == "ws" }

// headSeen records the newest head number seen; the head age restarts when it advances.
func (w *Watcher) headSeen(n uint64) {
	w.mu.Lock()
	// Head follows the node, down too after a reorganisation to a shorter chain; its age restarts
	// only when a block above every one seen before arrives.
	w.status.Head = n
	advanced := n > w.topHead
	if advanced {
		w.topHead = n
		w.status.HeadChanged = w.now()
	}
	w.mu.Unlock()
	if advanced {
		w.metrics.head(n)
	}
}

func (w *Watcher) setBlockTime(d time.Duration) {
	w.mu.Lock()
	w.status.BlockTime = d
	w.mu.Unlock()
}

// rangeChanged records a new log range, shrunk after a refusal or grown after successes.
func (w *Watcher) rangeChanged(n uint64, shrunk bool) {
	w.mu.Lock()
	w.status.LogRange = n
	w.mu.Unlock()
	w.metrics.logRange(n, shrunk)
}

func (w *Watcher) setReadOK(ok bool) {
	w.mu.Lock()
	w.readOK = ok
	w.mu.Unlock()
}

// missedLogs counts n logs the log subscription never delivered.
func (w *Watcher) missedLogs(n int) {
	w.mu.Lock()
	w.status.MissedLogs += uint64(n)
	w.mu.Unlock()
	w.metrics.missedLogs(n)
}

func (w *Watcher) setWSLive(live, reconnected bool) {
	w.mu.Lock()
	w.wsLive = live
	if live {
		w.session++
	}
	if reconnected {
		w.status.Reconnects++
	}
	w.mu.Unlock()
	w.metrics.wsConnected(live)
	if reconnected {
		w.metrics.reconnect()
	}
}

func (w *Watcher) setProgress(last, head uint64) {
	w.mu.Lock()
	w.status.LastBlock = last
	w.mu.Unlock()
	if head != 0 {
		w.headSeen(head)
		w.metrics.progress(last, head)
	}
}

// fatalError marks an error that retrying cannot fix; Run returns it.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func isFatal(err error) bool {
	var f *fatalError
	return errors.As(err, &f)
}

// SetStakeRegistry makes the watcher follow the StakeRegistry at addr from its next read of logs
// on, instead of the one it was given: the RegistryCoordinator pointed at another.
func (w *Watcher) SetStakeRegistry(addr common.Address) {
	w.mu.Lock()
	w.moveSR = addr
	w.mu.Unlock()
	signal(w.moved)
}

// signal sends on a channel holding at most one signal, without waiting.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// followMoves rebuilds the decoder when SetStakeRegistry asked for another StakeRegistry. Called
// by the follower's goroutine before each read of logs.
func (w *Watcher) followMoves() error {
	w.mu.Lock()
	addr := w.moveSR
	w.moveSR = common.Address{}
	w.mu.Unlock()
	if addr == (common.Address{}) || addr == w.cfg.Sources.StakeRegistry {
		return nil
	}
	src := w.cfg.Sources
	src.StakeRegistry = addr
	dec, err := newDecoder(src)
	if err != nil {
		return fmt.Errorf("follow stake registry %s: %w", addr, err)
	}
	dec.avs = w.dec.avs
	w.decMu.Lock()
	w.dec = dec
	w.decMu.Unlock()
	w.cfg.Sources = src
	w.log.Info("following the stake registry the coordinator points at", "stake_registry", addr)
	signal(w.resubscribe)
	return nil
}

// decoder returns the current decoder, for goroutines other than the follower's.
func (w *Watcher) decoder() *decoder {
	w.decMu.Lock()
	defer w.decMu.Unlock()
	return w.dec
}
