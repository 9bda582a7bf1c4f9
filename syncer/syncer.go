// Package syncer runs avs-sync's loop: events from the watcher go into the planner, the planner's
// batches are resolved against the chain, and the resulting plans go to the submitter. It owns the
// goroutines of that loop; the command line only builds its parts.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
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

	// quorumsStale is set by the loop when a quorum's configuration changed, so that it reads the
	// quorums (list, lookaheads) again. Only the loop goroutine touches it.
	quorumsStale bool

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
}

// New returns a syncer. reg receives the loop's metrics (nil: none); now is the clock (nil: time.Now).
func New(cfg Config, r Reader, sub Submitter, head HeadReader, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) *Syncer {
	if now == nil {
		now = time.Now
	}
	if cfg.Drain == 0 {
		cfg.Drain = DefaultDrain
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Minute
	}
	return &Syncer{
		cfg:      cfg,
		reader:   r,
		resolver: planner.NewResolver(r, cfg.Planner),
		sub:      sub,
		head:     head,
		log:      log,
		metrics:  newMetrics(reg),
		now:      now,
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
	err   error
}

// Watch runs the daemon until ctx ends: events from src make operators dirty, dirty operators are
// updated after the debounce window, quorums are swept on schedule. At start every registered
// operator is checked once, so changes made while avs-sync was down are caught whatever the
// checkpoint says. When ctx ends, Watch stops taking events, waits up to Config.Drain for the
// update in flight, stops src (which checkpoints what it handed over) and returns nil.
func (s *Syncer) Watch(ctx context.Context, src Source) error {
	p := planner.New(s.cfg.Planner, s.now)
	head, ops, err := s.load(ctx, p)
	if err != nil {
		return err
	}
	p.AdvanceHead(head)
	for _, op := range ops {
		p.Observe(watcher.Event{Kind: watcher.SharesChanged, Name: "startup", Operator: op, Block: head})
	}
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

	done := make(chan outcome, 1)
	inflight := false
	failures := 0
	var holdUntil time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if !inflight && !s.now().Before(holdUntil) {
			if p.NeedsReload() || s.quorumsStale {
				if _, _, err := s.load(ctx, p); err != nil {
					s.log.Warn("reload of quorums and operators failed; retrying", "err", err)
				} else {
					s.quorumsStale = false
				}
			}
			if b, ok := p.Next(); ok {
				inflight = true
				go func() { done <- outcome{b, s.execute(execCtx, b)} }()
			}
		}
		s.publish(p)
		resetTimer(timer, s.wake(p, inflight, holdUntil))

		select {
		case <-ctx.Done():
			s.drain(p, done, inflight, abandon)
			return nil
		case b := <-batches:
			s.apply(p, b)
		case err := <-srcErr:
			s.drain(p, done, inflight, abandon)
			if err != nil {
				return fmt.Errorf("watch chain events: %w", err)
			}
			return nil
		case o := <-done:
			inflight = false
			p.Done(o.batch, o.err)
			if o.err == nil {
				failures = 0
				holdUntil = time.Time{}
				if slices.Contains([]string{planner.ReasonSweep, planner.ReasonDeadline}, o.batch.Reason) {
					s.setStatus(func(st *Status) { st.LastSweep = s.now() })
					s.metrics.lastSweep.SetToCurrentTime()
				}
				continue
			}
			failures++
			wait := backoff(failures, s.cfg.MaxBackoff)
			holdUntil = s.now().Add(wait)
			level := slog.LevelWarn
			if failures > s.cfg.Retries {
				level = slog.LevelError
			}
			s.log.Log(ctx, level, "update failed; re-reading the chain and retrying", "reason", o.batch.Reason,
				"operators", len(o.batch.Operators), "quorums", ints(o.batch.Quorums), "attempt", failures, "retry_in", wait, "err", o.err)
		case <-timer.C:
		}
	}
}

// drain waits for the in-flight update, if any, for up to Drain, then abandons it: a sent
// transaction is seen through on a clean shutdown, and a hung one does not hold the process.
func (s *Syncer) drain(p *planner.Planner, done <-chan outcome, inflight bool, abandon context.CancelFunc) {
	if !inflight {
		return
	}
	s.log.Info("shutting down: waiting for the in-flight update", "max_wait", s.cfg.Drain)
	select {
	case o := <-done:
		p.Done(o.batch, o.err)
	case <-time.After(s.cfg.Drain):
		abandon()
		o := <-done
		p.Done(o.batch, o.err)
		s.log.Warn("shutdown: in-flight update abandoned; the next start re-checks every operator")
	}
}

// apply feeds one watcher batch to the planner.
func (s *Syncer) apply(p *planner.Planner, b watcher.Batch) {
	before := p.Stats()
	for _, ev := range b.Events {
		if len(s.cfg.Operators) > 0 && ev.Operator != (common.Address{}) && !slices.Contains(s.cfg.Operators, ev.Operator) {
			continue
		}
		dirtied := p.Stats().Dirtied
		p.Observe(ev)
		if p.Stats().Dirtied > dirtied && ev.Kind == watcher.SharesChanged && !ev.Removed {
			s.metrics.firstSeen(ev.Operator, s.now(), ev.Block)
		}
		if ev.Kind == watcher.QuorumConfigChanged && !ev.Removed {
			// A new quorum, or a new lookahead: the planner's quorum list and lookaheads are
			// read again before the next batch.
			s.quorumsStale = true
		}
	}
	p.AdvanceHead(b.Head)
	after := p.Stats()
	if n := after.Dirtied - before.Dirtied; n > 0 || after.NotOurs > before.NotOurs {
		s.log.Debug("events applied", "from", b.From, "to", b.To, "events", len(b.Events),
			"newly_dirty", n, "not_ours", after.NotOurs-before.NotOurs, "coalesced", after.Coalesced-before.Coalesced)
	}
	s.metrics.notOurs.Add(float64(after.NotOurs - before.NotOurs))
	s.setStatus(func(st *Status) { st.LastBlock, st.Head, st.Removed = b.To, b.Head, after.Removed })
}

// execute resolves a batch against the chain and submits the plan.
func (s *Syncer) execute(ctx context.Context, b planner.Batch) error {
	readCtx, cancel := s.readContext(ctx, 4) // head, then at most three batched rounds
	defer cancel()
	if head, err := s.head.BlockNumber(readCtx); err == nil && head > b.Head {
		// Read as close as possible to the block the transaction will land in.
		b.Head = head
	}
	plan, res, err := s.resolver.Resolve(readCtx, b)
	if err != nil {
		return fmt.Errorf("read stakes for %s batch: %w", b.Reason, err)
	}
	s.metrics.noops.Add(float64(res.Noops))
	s.log.Info("planned", "reason", b.Reason, "block", plan.Block, "candidates", res.Candidates, "noops", res.Noops,
		"unregistered", res.Unregistered, "stale", len(plan.Operators), "quorums", quorumNumbers(plan), "escalated", res.Escalated)
	if plan.Empty() {
		for _, op := range b.Operators {
			s.metrics.forget(op)
		}
		return nil
	}
	sent, err := s.sub.Submit(ctx, plan)
	if err != nil && len(plan.Quorums) > 0 && (errors.Is(err, submitter.ErrTooLarge) || errors.Is(err, submitter.ErrReverted)) {
		// A quorum refresh also carries the update of each stale operator in it; with many stale
		// it can exceed what one transaction may use. Update the stale ones with updateOperators
		// first (those lists split), then the refresh only rewrites equal stakes.
		s.log.Warn("whole-quorum refresh failed; updating its stale operators first, then refreshing again",
			"quorums", quorumNumbers(plan), "err", err)
		if err := s.updateMembers(ctx, b, plan); err != nil {
			return err
		}
		if plan, err = s.requorum(ctx, plan, b.Reason); err != nil {
			return err
		}
		sent, err = s.sub.Submit(ctx, plan)
	}
	if err != nil {
		return fmt.Errorf("submit %s plan: %w", b.Reason, err)
	}
	var last uint64
	for _, tx := range sent.Txs {
		last = max(last, tx.Block)
	}
	s.metrics.updated(plan, b.Operators, s.now(), last)
	s.log.Info("stakes updated", "reason", b.Reason, "operators", len(plan.Operators), "quorums", quorumNumbers(plan),
		"txs", len(sent.Txs), "gas_used", sent.GasUsed(), "block", last)
	return nil
}

// requorum reads plan's quorum operator sets again, at the head, for a refresh after its members
// were updated.
func (s *Syncer) requorum(ctx context.Context, plan planner.Plan, reason string) (planner.Plan, error) {
	readCtx, cancel := s.readContext(ctx, 2)
	defer cancel()
	head, err := s.head.BlockNumber(readCtx)
	if err != nil {
		return planner.Plan{}, fmt.Errorf("read chain head: %w", err)
	}
	var qs []uint8
	for _, q := range plan.Quorums {
		qs = append(qs, q.Quorum)
	}
	again, _, err := s.resolver.Resolve(readCtx, planner.Batch{Quorums: qs, Reason: reason, Head: head})
	if err != nil {
		return planner.Plan{}, fmt.Errorf("read operator sets of quorums %v again: %w", ints(qs), err)
	}
	return again, nil
}

// updateMembers sends updateOperators for the stale operators of plan's quorums.
func (s *Syncer) updateMembers(ctx context.Context, b planner.Batch, plan planner.Plan) error {
	var members []common.Address
	for _, q := range plan.Quorums {
		members = append(members, q.Operators...)
	}
	slices.SortFunc(members, common.Address.Cmp)
	members = slices.Compact(members)
	readCtx, cancel := s.readContext(ctx, 4)
	defer cancel()
	head, err := s.head.BlockNumber(readCtx)
	if err != nil {
		return fmt.Errorf("read chain head: %w", err)
	}
	// No escalation here: the point is to take the stale operators out of the quorum refresh.
	resolver := planner.NewResolver(s.reader, planner.Config{Quorums: s.cfg.Planner.Quorums, FullQuorumRatio: 1})
	stale, res, err := resolver.Resolve(readCtx, planner.Batch{Operators: members, Reason: b.Reason, Head: head})
	if err != nil {
		return fmt.Errorf("read stakes of %d quorum members: %w", len(members), err)
	}
	s.metrics.noops.Add(float64(res.Noops))
	if stale.Empty() {
		return nil
	}
	sent, err := s.sub.Submit(ctx, stale)
	if err != nil {
		return fmt.Errorf("update %d stale quorum members: %w", len(stale.Operators), err)
	}
	s.log.Info("stale quorum members updated", "operators", len(stale.Operators), "txs", len(sent.Txs), "gas_used", sent.GasUsed())
	return nil
}

// readContext bounds n chain reads by ReadTimeout each.
func (s *Syncer) readContext(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	if s.cfg.ReadTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(n)*s.cfg.ReadTimeout)
}

// load reads the head, the quorums and the operators in scope (registered, and in --operators if
// given) into p.
func (s *Syncer) load(ctx context.Context, p *planner.Planner) (uint64, []common.Address, error) {
	ctx, cancel := s.readContext(ctx, 5)
	defer cancel()
	head, err := s.head.BlockNumber(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("read chain head: %w", err)
	}
	qs, err := s.reader.Quorums(ctx, head)
	if err != nil {
		return 0, nil, fmt.Errorf("read quorums at block %d: %w", head, err)
	}
	nums := make([]uint8, 0, len(qs))
	var slashable []uint8
	for _, q := range qs {
		nums = append(nums, q.Number)
		p.SetQuorumUpdateBlock(q.Number, q.UpdateBlock)
		p.SetLookahead(q.Number, q.Lookahead)
		if q.StakeType == registry.TotalSlashable {
			slashable = append(slashable, q.Number)
		}
	}
	p.SetQuorums(nums)
	ops, err := s.reader.AllOperators(ctx, head)
	if err != nil {
		return 0, nil, fmt.Errorf("read registered operators at block %d: %w", head, err)
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
	for _, a := range pending {
		p.Observe(watcher.Event{Kind: watcher.AllocationChanged, Name: "pending", Operator: a.Operator, Quorum: int(a.Quorum), EffectBlock: a.EffectBlock, Block: head})
	}
	s.log.Info("loaded AVS state", "block", head, "quorums", ints(nums), "operators", len(ops), "pending_allocations", len(pending))
	return head, ops, nil
}

func (s *Syncer) publish(p *planner.Planner) {
	st := p.Stats()
	s.metrics.dirty.Set(float64(st.Dirty))
	s.setStatus(func(x *Status) { x.Dirty, x.Processing = st.Dirty, st.Processing })
}

// wake is when the loop must look at the planner again without any event.
func (s *Syncer) wake(p *planner.Planner, inflight bool, holdUntil time.Time) time.Duration {
	if inflight {
		return time.Hour
	}
	now := s.now()
	if now.Before(holdUntil) {
		return holdUntil.Sub(now)
	}
	at, ok := p.NextWake()
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

// backoff is the wait before retry n (from 1): 1 s doubling, capped.
func backoff(n int, max time.Duration) time.Duration {
	d := time.Second
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
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
