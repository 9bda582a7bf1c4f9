// Package syncer runs avs-sync's loop: events from the watcher go into the planner, the planner's
// batches are resolved against the chain, and the resulting plans go to the submitter. It owns the
// goroutines of that loop; the command line only builds its parts.
package syncer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/backoff"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
	"github.com/avs-sync/avs-sync/rpclimit"
	"github.com/avs-sync/avs-sync/submitter"
	"github.com/avs-sync/avs-sync/watcher"
)

// Reader is the chain state the syncer reads besides the planner's stake reads.
type Reader interface {
	planner.StakeReader
	// AllOperators returns every operator registered in any quorum at block, sorted.
	AllOperators(ctx context.Context, block uint64) ([]common.Address, error)
	// Quorums returns the AVS's quorums at block.
	Quorums(ctx context.Context, block uint64) ([]registry.Quorum, error)
	// PendingAllocations returns the allocation changes to the quorums that take effect after block.
	PendingAllocations(ctx context.Context, operators []common.Address, quorums []uint8, block uint64) ([]registry.PendingAllocation, error)
}

// Submitter sends a plan's transactions.
type Submitter interface {
	Submit(ctx context.Context, plan planner.Plan) (submitter.Result, error)
}

// HeadReader reads the chain head.
type HeadReader interface {
	BlockNumber(ctx context.Context) (uint64, error)
}

// Source produces the event batches of the chain (the watcher).
type Source interface {
	Run(ctx context.Context, out chan<- watcher.Batch) error
}

// DefaultHeartbeat is the longest the loop waits without running unless Config.Heartbeat says
// otherwise.
const DefaultHeartbeat = 5 * time.Second

// DefaultDrain is how long shutdown waits for an in-flight transaction unless Config.Drain says
// otherwise; deployments give the process longer than this to stop (deploy/ checks they do).
const DefaultDrain = 10 * time.Second

// Config shapes the loop.
type Config struct {
	Planner planner.Config
	// Operators, when set, limits avs-sync to these operators (the original tool's --operators).
	Operators []common.Address
	// Retries is how many times a failed update is retried before the failure is reported (one-shot
	// modes) or logged as an error and retried with a longer backoff (daemon).
	Retries int
	// Drain is how long shutdown waits for an in-flight transaction before abandoning it
	// (0: DefaultDrain).
	Drain time.Duration
	// MaxBackoff caps the wait between retries of a failing update.
	MaxBackoff time.Duration
	// ReadTimeout bounds one chain read (--reader-timeout-duration); 0 means none.
	ReadTimeout time.Duration
	// Heartbeat is the longest the loop waits without running, so that Status.LastLoop shows it
	// alive when idle (0: DefaultHeartbeat).
	Heartbeat time.Duration
	// MaxGasPerDay is the rolling 24-hour gas budget of mined stake updates (--max-gas-per-day):
	// once the last 24 hours used it, only deadline refreshes go out. 0 = unlimited. Ignored
	// when CronBudget is set.
	MaxGasPerDay uint64
	// CronBudget makes Watch's budget the cron's bill (see cronBill), re-priced as the AVS and
	// its activity move; the one-shot modes, which are the cron, run unlimited.
	CronBudget bool
	// BudgetWindow is the span of the budget's rolling window (0: DefaultBudgetWindow).
	BudgetWindow time.Duration
	// StateDir keeps the budget's window across restarts (--state-dir); empty = memory only.
	StateDir string
	// Quorums are the quorums in scope as discovered at start, so that their series exist from
	// the first scrape, before the loop reads them again.
	Quorums []uint8
	// FollowStaleStakes reads the stale-stakes rule (the signature checkers' staleStakesForbidden
	// and the withdrawal delay) from the chain at every load and reload, over what Planner says;
	// the reader must then be a StaleStakesReader. A checker's StaleStakesForbiddenUpdate makes
	// the loop reload.
	FollowStaleStakes bool
}

// Syncer keeps the AVS's stored stakes equal to current weights.
type Syncer struct {
	cfg      Config
	reader   Reader
	resolver *planner.Resolver
	sub      Submitter
	head     HeadReader
	log      *slog.Logger
	metrics  *metrics
	now      func() time.Time

	// budget is the rolling gas window; budgetSpent mirrors its last Exhausted answer, so the loop
	// logs the transitions once. Only the loop goroutine touches them.
	budget      *gasBudget
	budgetSpent bool
	// bill is the cron's bill the budget follows under Config.CronBudget (nil otherwise, and
	// outside Watch).
	bill *cronBill
	// headroom is the factor between budgeted plans' predicted gas and the gas limits their
	// transactions asked for, as last measured (up at once, down halfway per plan; 0 until
	// measured): the next batch's Batch.GasHeadroom. Only the loop goroutine touches it.
	headroom float64

	// quorumsStale is set by the loop when a quorum's configuration changed, so that it reads the
	// quorums (list, lookaheads) again. Only the loop goroutine touches it.
	quorumsStale bool
	// src is the source Watch follows, told when the StakeRegistry moves.
	src Source
	// changes are reads events asked for (late registrants' allocations, a new AVS address).
	changes changes
	// staleStakes is what the loop last said of the stale-stakes rule.
	staleStakes staleStakesState
	// reload is the backoff of failed loads of quorums and operators.
	reload reloadState

	mu     sync.Mutex
	status Status
}

// Status is the loop's view of itself, for /readyz and logs.
type Status struct {
	// Started is set once the registered operators were loaded and the loop runs.
	Started bool
	// LastBlock is the last block whose events were applied; Head the last head seen.
	LastBlock, Head uint64
	// LastSweep is when the last full sweep succeeded.
	LastSweep time.Time
	// Dirty is the number of operators waiting for an update; Processing those in the update in
	// flight.
	Dirty, Processing int
	// Removed counts events withdrawn by reorgs.
	Removed uint64
	// LastLoop is when the loop last ran.
	LastLoop time.Time
	// LimitWaited is how long the loop's reads have waited for the rate limit since LastLoop,
	// LimitWaitSince when their current wait began (zero while none waits): a loop waiting its
	// turn under --rpc-rate-limit is not wedged.
	LimitWaited    time.Duration
	LimitWaitSince time.Time
	// FailingSince is when the current run of failed updates began, zero after a success;
	// Failures counts that run and LastFailure says what kind of failure its latest was, in
	// words of our own (never the error's text, which may quote a node URL's key).
	FailingSince time.Time
	Failures     int
	LastFailure  string
	// LoadFailure says, while the AVS's state has not loaded yet, why the loads fail ("" once
	// loaded), in words of our own.
	LoadFailure string
}

// New returns a syncer. reg receives the loop's metrics (nil: none); now is the clock (nil: time.Now).
// The only error is a metric registry that already holds the syncer's series.
func New(cfg Config, r Reader, sub Submitter, head HeadReader, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) (*Syncer, error) {
	if now == nil {
		now = time.Now
	}
	if cfg.Drain == 0 {
		cfg.Drain = DefaultDrain
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Planner.MaxFailures == 0 {
		// --retry-sync-n-times failures of the same work set it aside.
		cfg.Planner.MaxFailures = max(cfg.Retries, 1)
	}
	if cfg.Planner.MaxRetryBackoff == 0 {
		cfg.Planner.MaxRetryBackoff = cfg.MaxBackoff
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	budget, err := newGasBudget(cfg.MaxGasPerDay, cfg.BudgetWindow, cfg.StateDir, now, reg, log)
	var unreadable *budgetUnreadableError
	switch {
	case errors.As(err, &unreadable):
		log.Warn("gas budget window unreadable; starting an empty one", "err", err)
	case err != nil:
		return nil, err
	}
	if cfg.MaxGasPerDay > 0 && cfg.StateDir == "" {
		log.Warn("--max-gas-per-day without --state-dir: the gas window lives in memory, and every restart (a crash loop) starts it empty; set --state-dir to keep it",
			"max_gas_per_day", cfg.MaxGasPerDay)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	m.quorums(cfg.Quorums)
	m.sweepInterval.Set(cfg.Planner.SyncInterval.Seconds())
	m.staleStakesForbidden(cfg.Planner.StaleStakesForbidden)
	// A read at a block the answering node lacks (a load balancer's lagging member) is retried at
	// that block, not failed.
	rr, err := newRetryReader(r, log, reg, now)
	if err != nil {
		return nil, err
	}
	return &Syncer{
		cfg:      cfg,
		reader:   rr,
		resolver: planner.NewResolver(rr, cfg.Planner),
		sub:      sub,
		head:     head,
		log:      log,
		metrics:  m,
		now:      now,
		budget:   budget,
	}, nil
}

// checkBudget tells the planner whether the gas budget is spent, with one line when that changes.
func (s *Syncer) checkBudget(p *planner.Planner) {
	if s.bill != nil {
		s.priceBudget() // moves age out of the interval as time passes
	}
	spent := s.budget.Exhausted()
	if spent != s.budgetSpent {
		if spent {
			s.log.Error("gas budget reached: only certificate-critical work is sent until older spending leaves the window",
				"gas_used_24h", s.budget.Used(), "max_gas_per_day", s.budget.Limit(), "available_again_at", s.budget.FreesAt().UTC().Format(time.RFC3339))
		} else {
			s.log.Info("gas budget available again", "gas_used_24h", s.budget.Used(), "max_gas_per_day", s.budget.Limit())
		}
		s.budgetSpent = spent
	}
	switch {
	case spent:
		p.SetBudget(planner.BudgetExhausted)
	case s.budget.Paced():
		p.SetBudget(planner.BudgetPaced)
	default:
		p.SetBudget(planner.BudgetAvailable)
	}
}

// Status returns a snapshot of the loop's state; safe for concurrent use.
func (s *Syncer) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Syncer) setStatus(f func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.status)
}

// outcome is what an executed batch came back with.
type outcome struct {
	batch planner.Batch
	res   planner.Outcome
	// held is set when parts were not sent because fees are above the cap or the sender is out of
	// funds: nothing can go until that changes, and no failure is counted.
	held error
	// heldOperators counts the operators of those parts.
	heldOperators int
	// transient is set when parts did not land for a reason that is not theirs (the node refused
	// or dropped the send, not mined in time): they are taken back without counting toward
	// setting them aside, and the loop backs off as for failed reads.
	transient error
	// mined is the gas and block of the batch's mined transactions, minedAt when they were seen.
	gasUsed, block uint64
	mined          int
	minedAt        time.Time
	// overBudget: parts were held back because their gas limit exceeded what remained of the
	// daily budget; like fees above the cap, the loop looks again HoldBlocks later. The budget
	// counts as spent until the smallest of them, overBudgetGas (its gas limit), fits.
	overBudget    bool
	overBudgetGas uint64
	// paceShare, above 0, says the first of the parts held back fitted the budget but not its
	// pace share of it (planner.Resolution.PaceShare).
	paceShare float64
	// headroom is the plan's gas limits over its predicted gas, when it was fitted to the budget
	// (0 otherwise).
	headroom float64
	// spent are the batch's transactions that were mined, reverted ones included: their gas
	// counts in the budget.
	spent []submitter.TxResult
	// stale are the operators the resolver found stale, by quorum: the cron's bill counts them.
	stale map[common.Address][]uint8
}

// Watch runs the daemon until ctx ends: events from src make operators dirty, dirty operators are
// updated after the debounce window, quorums are swept on schedule. At start every registered
// operator is checked once, so changes made while avs-sync was down are caught whatever the
// checkpoint says. When ctx ends, Watch stops taking events, waits up to Config.Drain for the
// update in flight, stops src (which checkpoints what it handed over) and returns nil.
func (s *Syncer) Watch(ctx context.Context, src Source) error {
	s.src = src
	p := planner.New(s.cfg.Planner, s.now)
	if s.cfg.CronBudget {
		cost := planner.DefaultCostModel
		if s.cfg.Planner.CostModel != nil {
			cost = *s.cfg.Planner.CostModel
		}
		s.bill = newCronBill(cost, s.cfg.Planner.SyncInterval, s.budget.window)
		// The cron pays its bill once per interval: a budget over a shorter window would hold
		// back work the cron's bill covers (a single update can cost more than a day's share of
		// a 6-day cron's refresh).
		s.budget.setWindow(s.bill.window)
	}
	head, ops, err := s.loadUntilUp(ctx, p)
	if err != nil {
		return nil // stopped while loading: nothing read, nothing sent
	}
	s.changes.loaded = head
	p.Together(func() {
		p.AdvanceHead(head)
		p.Recheck(ops...)
	})
	s.publish(p)
	s.setStatus(func(st *Status) { st.Started, st.Head, st.LastBlock = true, head, head })

	// Unbuffered: the watcher checkpoints a batch once the send returns, so a batch is only
	// checkpointed once the loop has taken it.
	batches := make(chan watcher.Batch)
	srcErr := make(chan error, 1)
	srcCtx, stopSrc := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		srcErr <- src.Run(srcCtx, batches)
	}()
	defer func() {
		stopSrc()
		wg.Wait()
	}()

	// Transactions outlive a shutdown signal by up to Drain, so a sent update is seen through.
	execCtx, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()

	loop := newWatchLoop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.checkBudget(p)
		if loop.canStart(s.now(), p.Head()) {
			if (p.NeedsReload() || s.quorumsStale) && s.reloadDue() {
				if _, ops, err := s.load(ctx, p); err != nil {
					s.reloadFailed(err) // logged once per fault, tried again with backoff
				} else {
					s.reloadOK()
					s.quorumsStale = false
					s.reloaded(p, ops)
				}
			}
			s.scheduleRegistered(ctx, p)
			if b, ok := p.Next(); ok {
				if s.bill != nil {
					b.Strategies = s.bill.strategyCounts()
				}
				b.GasHeadroom = s.headroom
				first := p.FirstEvents()
				loop.start(func() outcome { return s.execute(execCtx, s.resolver, b, first) })
			}
		}
		s.publish(p)
		resetTimer(timer, min(s.wake(p, loop), s.reloadWait(p), s.cfg.Heartbeat))

		select {
		case <-ctx.Done():
			s.drain(p, loop, abandon)
			return nil
		case b := <-batches:
			s.apply(p, b)
		case err := <-srcErr:
			s.drain(p, loop, abandon)
			if err != nil {
				return fmt.Errorf("watch chain events: %w", err)
			}
			return nil
		case o := <-loop.done:
			s.settle(p, o)
			s.setFailures(o)
			// Once the budget is spent, the churn line of a full quorum goes out at once: the
			// next batch sends only it, whatever the budget. Work held back for its pace waits
			// held (planner.BudgetPaced) while new work goes on.
			hold := o.held != nil || (o.overBudget && o.paceShare == 0 && !(p.AnyFull() && s.budget.Exhausted()))
			nodeErr := cmp.Or(o.res.Err, o.transient)
			wait := loop.settled(hold, p.Head(), nodeErr, s.now(), s.retryWait)
			if nodeErr == nil {
				continue
			}
			level := slog.LevelWarn
			if loop.readFailures > s.cfg.Retries {
				level = slog.LevelError
			}
			s.log.Log(ctx, level, "update failed on the node's side; re-reading the chain and retrying", "reason", o.batch.Reason,
				"operators", len(o.batch.Operators), "quorums", ints(o.batch.Refreshes()), "attempt", loop.readFailures, "retry_in", wait, "err", nodeErr)
		case <-timer.C:
		}
	}
}

// logSetAside says, once, which of an outcome's failed operators and quorums the planner has just
// set aside, and which failed together in a list and are retried apart.
func (s *Syncer) logSetAside(p *planner.Planner, res planner.Outcome) {
	if len(res.FailedOperators) == 0 && len(res.FailedQuorums) == 0 {
		return
	}
	held := p.HeldBack()
	var ops []common.Address
	for _, op := range res.FailedOperators {
		if held[op] == planner.HeldSetAside {
			ops = append(ops, op)
		}
	}
	var qs []uint8
	for _, q := range p.SetAsideQuorums() {
		if slices.Contains(res.FailedQuorums, q) {
			qs = append(qs, q)
		}
	}
	for _, list := range res.FailedLists {
		again := slices.DeleteFunc(slices.Clone(list), func(op common.Address) bool { return held[op] == planner.HeldSetAside })
		if len(again) > 0 {
			s.log.Warn("operators that failed in one list are retried in smaller lists of their own, to find the one at fault",
				"operators", again, "list", len(list))
		}
	}
	if len(ops) > 0 || len(qs) > 0 {
		s.log.Error("updates set aside after failing --retry-sync-n-times times; they wait for the next sweep",
			"operators", ops, "quorums", ints(qs), "failures", s.cfg.Planner.MaxFailures)
	}
}

// HoldBlocks is how many blocks the loop waits before looking again when fees are above the cap
// or the sender is out of funds.
const HoldBlocks = 3

// settle hands a batch's outcome back to the planner and records it: metrics, and one line for a
// batch that had to wait for fees or funds.
func (s *Syncer) settle(p *planner.Planner, o outcome) {
	s.done(p, o)
	s.logSetAside(p, o.res)
	s.metrics.settled(o, s.now())
	s.count(o)
	if s.bill != nil && len(o.stale) > 0 {
		s.bill.sawStale(o.stale, s.now())
		s.priceBudget()
	}
	if o.headroom > 0 {
		// Up at once, down halfway per plan: plans of cheap and dear operators alternating do
		// not leave every other one trimmed too loosely.
		s.headroom = max(o.headroom, (s.headroom+o.headroom)/2)
	}
	if o.overBudget {
		s.budget.setNeed(o.overBudgetGas, o.paceShare)
	} else if o.mined > 0 && o.batch.Reason != planner.ReasonDeadline && !o.batch.ChurnLineOnly {
		s.budget.sent() // what was held back went out (a deadline refresh or churn line is never held)
	}
	if o.held != nil {
		s.metrics.held(planner.HeldFeeCap, o.heldOperators)
		if o.batch.Reason == planner.ReasonDeadline {
			s.log.Error("deadline at risk: a quorum due for its staleness deadline waits for fees to fall below the cap or for funds",
				"quorums", ints(o.batch.Refreshes()), "head", p.Head(), "err", o.held)
		} else {
			s.log.Warn("update waits: fees above the cap or sender out of funds; nothing sent",
				"reason", o.batch.Reason, "operators_waiting", o.heldOperators, "look_again_in_blocks", HoldBlocks, "err", o.held)
		}
	} else {
		s.metrics.held(planner.HeldFeeCap, 0)
	}
	if (o.batch.Reason == planner.ReasonSweep || o.batch.Reason == planner.ReasonDeadline) && o.res.Err == nil &&
		len(o.res.FailedQuorums) == 0 && len(o.res.WaitingQuorums) == 0 {
		s.setStatus(func(st *Status) { st.LastSweep = s.now() })
		s.metrics.lastSweep.SetToCurrentTime()
	}
}

// done hands a batch's outcome back to the planner, once the latency of what it stored is
// observed from the first events the planner then forgets.
func (s *Syncer) done(p *planner.Planner, o outcome) {
	s.metrics.latency(o.res.Stored, p.FirstEvents(), o.minedAt, o.block)
	p.Done(o.batch, o.res)
}

// count adds the gas of an outcome's mined transactions, reverted ones included, to the budget.
func (s *Syncer) count(o outcome) {
	for _, tx := range o.spent {
		s.Spent(tx.Hash, tx.GasUsed)
	}
}

// GasLeft returns what remains of the gas budget now; limited is false when it is unlimited.
// Safe for concurrent use.
func (s *Syncer) GasLeft() (left uint64, limited bool) { return s.budget.Left() }

// Spent counts a mined transaction of the sender in the gas budget, once per hash. The sender
// calls it for every receipt it sees, also of work no caller waits for any more (timed out, or
// left by a previous process). Safe from any goroutine.
func (s *Syncer) Spent(hash common.Hash, gas uint64) {
	if err := s.budget.spent(hash, gas); err != nil {
		s.log.Warn("gas budget window not saved; a restart would forget it", "err", err)
	}
}

// drain waits for the in-flight update, if any, for up to Drain, then abandons it: a sent
// transaction is seen through on a clean shutdown, and a hung one does not hold the process.
func (s *Syncer) drain(p *planner.Planner, loop *watchLoop, abandon context.CancelFunc) {
	if !loop.inflight {
		return
	}
	s.log.Info("shutting down: waiting for the in-flight update", "max_wait", s.cfg.Drain)
	select {
	case o := <-loop.done:
		s.done(p, o)
		s.count(o)
	case <-time.After(s.cfg.Drain):
		abandon()
		o := <-loop.done
		s.done(p, o)
		s.count(o)
		s.log.Warn("shutdown: in-flight update abandoned; the next start re-checks every operator")
	}
}

// apply feeds one watcher batch to the planner.
func (s *Syncer) apply(p *planner.Planner, b watcher.Batch) {
	before := p.Stats()
	moved := false
	defer func() {
		if moved {
			s.priceBudget()
		}
	}()
	// One batch arrives at one instant: what it dirties is ready at one time.
	p.Together(func() {
		for _, ev := range b.Events {
			if len(s.cfg.Operators) > 0 && ev.Operator != (common.Address{}) && !slices.Contains(s.cfg.Operators, ev.Operator) {
				continue
			}
			p.Observe(ev)
			s.note(ev)
			if s.bill != nil && !ev.Removed && (ev.Kind == watcher.SharesChanged || ev.Kind == watcher.AllocationChanged) {
				// The cron would find it stale in every quorum it is in: counted when it moves,
				// not when its update is read, which a spent budget holds back.
				s.bill.sawStale(map[common.Address][]uint8{ev.Operator: s.metrics.quorumsOf(ev.Operator)}, s.now())
				moved = true
			}
			if ev.Kind == watcher.OperatorDeregistered && !ev.Removed {
				// The planner has dropped the operator; so do the staleness gauges.
				s.metrics.left(ev.Operator)
			}
			if ev.Kind == watcher.QuorumConfigChanged && !ev.Removed {
				// A new quorum, or a new lookahead: the planner's quorum list and lookaheads are
				// read again before the next batch.
				s.quorumsStale = true
			}
			if ev.Kind == watcher.StaleStakesRuleChanged && s.cfg.FollowStaleStakes {
				// A checker switched its rule (or a reorg took the switch back): the rule and the
				// deadlines are read again before the next batch.
				s.quorumsStale = true
			}
		}
		p.AdvanceHead(b.Head)
	})
	after := p.Stats()
	if n := after.Dirtied - before.Dirtied; n > 0 || after.NotOurs > before.NotOurs {
		s.log.Debug("events applied", "from", b.From, "to", b.To, "events", len(b.Events),
			"newly_dirty", n, "not_ours", after.NotOurs-before.NotOurs, "coalesced", after.Coalesced-before.Coalesced)
	}
	s.metrics.notOurs.Add(float64(after.NotOurs - before.NotOurs))
	s.setStatus(func(st *Status) { st.LastBlock, st.Head, st.Removed = b.To, b.Head, after.Removed })
}

// execute resolves a batch against the chain, submits the plan and reports what became of each
// part; first are the planner's FirstEvents as of the batch, for the staleness gauges.
// Re-planning is the planner's and resolver's: a failed quorum refresh comes back as its stale
// members first, a failed operator on its own.
func (s *Syncer) execute(ctx context.Context, rs *planner.Resolver, b planner.Batch, first map[common.Address]planner.FirstEvent) outcome {
	o := outcome{batch: b}
	readCtx, cancel := s.readContext(ctx, 5, false) // head, then at most four batched rounds
	defer cancel()
	if head, err := s.head.BlockNumber(readCtx); err == nil && head > b.Head {
		// Read as close as possible to the block the transaction will land in.
		b.Head = head
	}
	// What remains of the budget: the resolver keeps, of what it cannot pay for whole, the
	// changes that remove the most misattributed stake per gas; the rest wait for the window.
	b.GasLeft, b.GasLimit, b.GasLimited = s.budget.LeftAndLimit()
	plan, res, err := rs.Resolve(readCtx, b)
	if err != nil {
		o.res.Err = fmt.Errorf("read stakes for %s batch: %w", b.Reason, err)
		return o
	}
	o.res.Immaterial = res.Immaterial
	o.res.Deferred = res.Deferred
	o.stale = res.Stale
	if res.DeferredGas > 0 {
		o.overBudget, o.overBudgetGas, o.paceShare = true, res.DeferredGas, res.PaceShare
		msg := "budget binds: the changes worth the most stake per gas go first"
		if res.PaceShare > 0 {
			msg = "budget paced: past half the budget, changes worth less per gas than most wait for room within their share"
		}
		s.log.Info(msg, "sent", len(plan.Operators), "waiting", len(res.Deferred), "gas_left", b.GasLeft,
			"pace_share", res.PaceShare, "most_valuable", rankedHead(res.Ranked, 3),
			"least_valuable_waiting", rankedTail(res.Ranked, res.Deferred, 3))
	}
	s.metrics.noops.Add(float64(res.Noops))
	s.log.Info("planned", "reason", b.Reason, "block", plan.Block, "candidates", res.Candidates, "noops", res.Noops,
		"unregistered", res.Unregistered, "immaterial", len(res.Immaterial), "stale", len(plan.Operators),
		"quorums", quorumNumbers(plan), "members_of", ints(b.MemberQuorums()), "escalated", res.Escalated)
	for _, c := range res.ChurnLine {
		s.log.Info("stored stake at the churn line of a full quorum kept exact", "operator", c.Operator, "quorum", c.Quorum,
			"stored", c.Stored, "weight", c.Weight, "lowest_stored", c.Lowest, "block", plan.Block)
	}
	for _, c := range res.Choices {
		s.log.Info("shape chosen", "quorum", c.Quorum, "operators", c.Operators, "strategies", c.Strategies, "stale", c.Stale,
			"update_operators_gas", c.UpdateGas, "refresh_gas", c.RefreshGas, "refresh", c.Refresh)
	}
	s.metrics.resolved(b, res, first, s.now())
	if plan.Empty() {
		return o
	}
	// Each transaction but a deadline refresh must fit in what remains of the budget: a backlog
	// and a sweep released together cannot go out as one batch above it.
	plan.GasLeft, plan.GasLimited = s.budget.Left()
	sent, err := s.sub.Submit(ctx, plan)
	if err != nil && len(sent.Txs) == 0 {
		o.res.Err = fmt.Errorf("submit %s plan: %w", b.Reason, err)
		return o
	}
	o.res.AddParts(b, sent.Parts())
	o.waits(sent)
	o.headroom = measuredHeadroom(plan, sent)
	landed := sent.Mined()
	for _, tx := range landed {
		o.block = max(o.block, tx.Block)
		o.mined++
	}
	o.gasUsed = sent.GasUsed()
	for _, tx := range sent.Txs {
		if tx.GasUsed > 0 {
			o.spent = append(o.spent, tx)
		}
	}
	o.minedAt = s.now()
	s.metrics.updated(landed)
	if err != nil {
		s.log.Warn("stake update partly failed; the failed parts are retried on their own", "reason", b.Reason,
			"mined_txs", o.mined, "txs", len(sent.Txs), "failed_operators", len(o.res.FailedOperators),
			"failed_quorums", ints(o.res.FailedQuorums), "waiting_operators", len(o.res.WaitingOperators),
			"gas_used", o.gasUsed, "err", err)
		return o
	}
	s.log.Info("stakes updated", "reason", b.Reason, "operators", len(plan.Operators), "quorums", quorumNumbers(plan),
		"txs", len(sent.Txs), "gas_used", o.gasUsed, "block", o.block)
	return o
}

// measuredHeadroom is the gas limits plan's transactions asked for over the plan's predicted gas,
// for a plan of operators alone fitted to the budget (0 for any other: a refresh's prediction
// counts no stale operator, and exempt work is not fitted).
func measuredHeadroom(plan planner.Plan, sent submitter.Result) float64 {
	if plan.PredictedGas <= 0 || len(plan.Quorums) > 0 || plan.ChurnLine || len(sent.Txs) == 0 {
		return 0
	}
	var limits uint64
	for _, tx := range sent.Txs {
		if tx.Tx.GasEstimate == 0 {
			return 0 // a part not built: no limit to measure the plan by
		}
		limits += tx.Tx.GasLimit()
	}
	return float64(limits) / plan.PredictedGas
}

// waits notes what the loop waits on after a batch's parts that did not land: fees or funds
// (held), the daily budget (the smallest gas limit held back), or the node (transient).
func (o *outcome) waits(sent submitter.Result) {
	for _, tx := range sent.Txs {
		switch tx.Fault() {
		case planner.FaultFees:
			if o.held == nil {
				o.held = tx.Err
			}
			o.heldOperators += len(tx.Tx.Operators)
		case planner.FaultBudget:
			// The budget waits for room for one operator of an updateOperators, not for the
			// whole transaction: the next plan is trimmed to what remains, most valuable first.
			gas := tx.Tx.GasLimit()
			if tx.Tx.Kind == submitter.KindUpdateOperators && len(tx.Tx.Operators) > 1 {
				gas /= uint64(len(tx.Tx.Operators))
			}
			if !o.overBudget || gas < o.overBudgetGas {
				o.overBudgetGas = gas
			}
			o.overBudget = true
		case planner.FaultNode:
			if o.transient == nil {
				o.transient = tx.Err
			}
		}
	}
}

// readContext bounds n chain reads by ReadTimeout each, not counting their waits for the rate
// limit. loop marks the loop goroutine's own reads, whose waits Live leaves out of its stall.
func (s *Syncer) readContext(ctx context.Context, n int, loop bool) (context.Context, context.CancelFunc) {
	if s.cfg.ReadTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	var waiting func(bool)
	if loop {
		waiting = s.limitWait
	}
	return rpclimit.WithReadTimeout(ctx, time.Duration(n)*s.cfg.ReadTimeout, waiting)
}

// limitWait records the loop's reads starting (true) or ending (false) a wait for the rate limit.
func (s *Syncer) limitWait(waiting bool) {
	now := s.now()
	s.setStatus(func(st *Status) {
		switch {
		case waiting:
			st.LimitWaitSince = now
		case !st.LimitWaitSince.IsZero():
			st.LimitWaited += now.Sub(st.LimitWaitSince)
			st.LimitWaitSince = time.Time{}
		}
	})
}

// load reads the head, the quorums and the operators in scope (registered, and in --operators if
// given) into p.
func (s *Syncer) load(ctx context.Context, p *planner.Planner) (uint64, []common.Address, error) {
	ctx, cancel := s.readContext(ctx, loadReads, true)
	defer cancel()
	head, err := s.head.BlockNumber(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("read chain head: %w", err)
	}
	if err := s.followRegistries(ctx, head); err != nil {
		return 0, nil, err
	}
	qs, err := s.reader.Quorums(ctx, head)
	if err != nil {
		return 0, nil, fmt.Errorf("read quorums at block %d: %w", head, err)
	}
	nums := make([]uint8, 0, len(qs))
	var slashable, full []uint8
	for _, q := range qs {
		nums = append(nums, q.Number)
		if q.Full() {
			full = append(full, q.Number)
		}
		p.SetQuorumUpdateBlock(q.Number, q.UpdateBlock)
		p.SetLookahead(q.Number, q.Lookahead)
		p.SetSlashable(q.Number, q.StakeType == registry.TotalSlashable)
		p.SetOperatorCap(q.Number, q.MaxOperators)
		p.SetQuorumFull(q.Number, q.Full())
		if q.StakeType == registry.TotalSlashable {
			slashable = append(slashable, q.Number)
		}
	}
	p.SetQuorums(nums)
	s.changes.slashable = slashable
	if s.cfg.FollowStaleStakes {
		if err := s.followStaleStakes(ctx, p, head); err != nil {
			return 0, nil, err
		}
	}
	var scope []uint8
	for _, q := range nums {
		if len(s.cfg.Planner.Quorums) == 0 || slices.Contains(s.cfg.Planner.Quorums, q) {
			scope = append(scope, q)
		}
	}
	s.metrics.quorums(scope)
	// The cron's bill needs the quorums' strategy counts: read beside the operators, so a load
	// still takes at most loadReads reads' time.
	counts := make(chan strategyCounts, 1)
	if s.bill != nil {
		go func() { counts <- s.readStrategyCounts(ctx, scope, head) }()
	}
	ops, err := s.reader.AllOperators(ctx, head)
	if err != nil {
		return 0, nil, fmt.Errorf("read registered operators at block %d: %w", head, err)
	}
	if s.bill != nil {
		c := <-counts
		if c.err != nil {
			return 0, nil, c.err
		}
		s.sizeBill(qs, scope, c.counts)
	}
	if len(s.cfg.Operators) > 0 {
		ops = slices.DeleteFunc(ops, func(op common.Address) bool { return !slices.Contains(s.cfg.Operators, op) })
	}
	p.SetOperators(ops)
	// Allocation changes emit nothing when they take effect; those announced before the watcher's
	// first block are read from the chain and scheduled like the ones it sees.
	pending, err := s.reader.PendingAllocations(ctx, ops, slashable, head)
	if err != nil {
		return 0, nil, fmt.Errorf("read pending allocations at block %d: %w", head, err)
	}
	p.Together(func() {
		for _, a := range pending {
			p.ScheduleAllocation(a.Operator, a.Quorum, a.EffectBlock)
		}
	})
	s.log.Info("loaded AVS state", "block", head, "quorums", ints(nums), "full_quorums", ints(full), "operators", len(ops), "pending_allocations", len(pending))
	return head, ops, nil
}

func (s *Syncer) publish(p *planner.Planner) {
	st := p.Stats()
	s.metrics.dirty.Set(float64(st.Dirty))
	s.metrics.processing.Set(float64(st.Processing))
	s.metrics.publish(p.HeldBack(), p.FirstEvents(), p.StaleStakesDeadline, s.now())
	// Only the daemon's planner keeps the schedule: a one-shot sweep's has none, and Cron
	// publishes its own.
	at, _ := p.NextSweep()
	s.metrics.sweepDue(at)
	s.setStatus(func(x *Status) {
		x.Dirty, x.Processing, x.LastLoop, x.LimitWaited = st.Dirty, st.Processing, s.now(), 0
	})
}

// wake is when the loop must look at the planner again without any event.
func (s *Syncer) wake(p *planner.Planner, loop *watchLoop) time.Duration {
	if loop.inflight {
		return time.Hour
	}
	now := s.now()
	if now.Before(loop.holdUntil) {
		return loop.holdUntil.Sub(now)
	}
	at, ok := p.NextWake()
	if s.budgetSpent {
		// Dirty work waits for the budget: look again when the window frees some.
		if free := s.budget.FreesAt(); !ok || free.Before(at) {
			at, ok = free, true
		}
	}
	if !ok {
		return time.Hour
	}
	if d := at.Sub(now); d > 0 {
		return d
	}
	return 0
}

func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

// retryWait is the wait before retry n (from 1) of a failed update: 1 s doubling, capped at
// MaxBackoff.
func (s *Syncer) retryWait(n int) time.Duration {
	return backoff.Policy{First: time.Second, Max: s.cfg.MaxBackoff}.Delay(n)
}

// quorumNumbers lists a plan's whole-quorum refreshes, as ints so logs print numbers, not bytes.
func quorumNumbers(p planner.Plan) []int {
	out := make([]int, 0, len(p.Quorums))
	for _, q := range p.Quorums {
		out = append(out, int(q.Quorum))
	}
	return out
}

// ints converts quorum numbers for logging.
func ints(qs []uint8) []int {
	out := make([]int, len(qs))
	for i, q := range qs {
		out[i] = int(q)
	}
	return out
}

// ErrNothingInScope is returned by one-shot runs when no quorum or operator is in scope.
var ErrNothingInScope = errors.New("no quorum or operator in scope")

// rankedHead names the first n ranked candidates with the share of their quorums' stake their
// update stops being misattributed, for the log.
func rankedHead(ranked []planner.Candidate, n int) []string {
	var out []string
	for _, c := range ranked[:min(n, len(ranked))] {
		out = append(out, candidateString(c))
	}
	return out
}

// rankedTail names the last n ranked candidates that wait, least valuable last.
func rankedTail(ranked []planner.Candidate, waiting []common.Address, n int) []string {
	var out []string
	for i := len(ranked) - 1; i >= 0 && len(out) < n; i-- {
		if slices.Contains(waiting, ranked[i].Operator) {
			out = append(out, candidateString(ranked[i]))
		}
	}
	return out
}

func candidateString(c planner.Candidate) string {
	if c.Critical {
		return c.Operator.Hex() + " critical"
	}
	return fmt.Sprintf("%s %.4g%%", c.Operator.Hex(), c.Value*100)
}
