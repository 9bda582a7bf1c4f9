package syncer

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/avs-sync/avs-sync/internal/backoff"
	"github.com/avs-sync/avs-sync/planner"
)

// Sweep updates every quorum in scope whole with updateOperatorsForQuorum, or, when Operators is
// set, those operators with updateOperators, once. It runs the same planner as the daemon: a part
// that fails is retried on its own (a quorum refresh after its stale members), up to Retries
// times, and what landed is never sent again.
func (s *Syncer) Sweep(ctx context.Context) error {
	b, err := s.sweepBatch(ctx)
	if err != nil {
		return err
	}
	cfg := s.cfg.Planner
	cfg.SyncInterval, cfg.Debounce, cfg.MinStakeChange = 0, 0, 0
	cfg.MaxFailures = s.cfg.Retries + 1
	cfg.MaxRetryBackoff = min(cmp.Or(cfg.MaxRetryBackoff, s.cfg.MaxBackoff), s.cfg.MaxBackoff)
	p := planner.New(cfg, s.now)
	p.SetQuorums(b.Refreshes())
	p.AdvanceHead(b.Head)
	if len(b.Operators) > 0 {
		p.SetOperators(b.Operators)
		p.Recheck(b.Operators...)
	} else {
		p.SweepNow()
	}
	failures := 0
	rs := planner.NewResolver(s.reader, cfg)
	for {
		next, ok := p.Next()
		if !ok {
			at, more := p.NextWake()
			if !more {
				break
			}
			if err := backoff.Sleep(ctx, at.Sub(s.now())); err != nil {
				return err
			}
			continue
		}
		o := s.execute(ctx, rs, next, p.FirstEvents())
		s.settle(p, o)
		if err := cmp.Or(o.res.Err, o.held, o.transient); err != nil {
			// Failed reads, node errors and fees above the cap are not the work's fault, but a
			// one-shot run does not wait for them forever.
			failures++
			if failures > s.cfg.Retries {
				return fmt.Errorf("sweep failed after %d attempts: %w", failures, err)
			}
			wait := s.retryWait(failures)
			s.log.Warn("sweep failed; retrying", "attempt", failures, "retry_in", wait, "err", err)
			if err := backoff.Sleep(ctx, wait); err != nil {
				return err
			}
		}
		if head, err := s.head.BlockNumber(ctx); err == nil {
			p.AdvanceHead(head)
		}
	}
	if st := p.Stats(); st.SetAside > 0 {
		return fmt.Errorf("sweep: %d updates still failing after %d attempts (held back: %d operators, quorums %v)",
			st.SetAside, s.cfg.Retries+1, len(p.HeldBack()), ints(p.SetAsideQuorums()))
	}
	s.setStatus(func(st *Status) { st.LastSweep = s.now() })
	s.metrics.lastSweep.SetToCurrentTime()
	return nil
}

func (s *Syncer) sweepBatch(ctx context.Context) (planner.Batch, error) {
	head, err := s.head.BlockNumber(ctx)
	if err != nil {
		return planner.Batch{}, fmt.Errorf("read chain head: %w", err)
	}
	if len(s.cfg.Operators) > 0 {
		return planner.Batch{Operators: slices.Clone(s.cfg.Operators), Reason: planner.ReasonDirty, Head: head}, nil
	}
	qs, err := s.reader.Quorums(ctx, head)
	if err != nil {
		return planner.Batch{}, fmt.Errorf("read quorums at block %d: %w", head, err)
	}
	b := planner.Batch{Reason: planner.ReasonSweep, Head: head}
	for _, q := range qs {
		if len(s.cfg.Planner.Quorums) == 0 || slices.Contains(s.cfg.Planner.Quorums, q.Number) {
			b.Work = append(b.Work, planner.QuorumWork{Quorum: q.Number, Mode: planner.QuorumRefresh})
		}
	}
	if len(b.Work) == 0 {
		return planner.Batch{}, ErrNothingInScope
	}
	return b, nil
}

// Cron is the original tool's behaviour: a sweep at start (or at FirstSyncTime), then one every
// SyncInterval; with SyncInterval 0, one sweep and return. Failed sweeps are logged and the
// schedule goes on; next_sweep_timestamp_seconds stays at the first failed one until a sweep
// succeeds.
func (s *Syncer) Cron(ctx context.Context) error {
	interval := s.cfg.Planner.SyncInterval
	if interval == 0 {
		return s.Sweep(ctx)
	}
	// The first sweep at once, unless at a time of day.
	sched := planner.NewSweepSchedule(interval, s.cfg.Planner.FirstSyncTime, s.now(), 0)
	s.setStatus(func(st *Status) { st.Started = true })
	for {
		s.metrics.sweepDue(sched.DueAt())
		slot := sched.Next()
		if wait := slot.Sub(s.now()); wait > 0 {
			s.log.Info("next sync", "at", slot.UTC().Format(time.RFC3339), "in", wait.Round(time.Second))
			if backoff.Sleep(ctx, wait) != nil {
				return nil
			}
		}
		if err := s.Sweep(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("sync failed; next one on schedule", "err", err)
			sched.Owe(slot)
		} else {
			sched.Paid()
		}
		sched.Advance(s.now())
	}
}
