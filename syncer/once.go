package syncer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/avs-sync/avs-sync/planner"
)

// Sweep updates every quorum in scope whole with updateOperatorsForQuorum, or, when Operators is
// set, those operators with updateOperators, once. A failure is retried Retries times, re-reading
// the chain each time.
func (s *Syncer) Sweep(ctx context.Context) error {
	var err error
	for attempt := 0; attempt <= s.cfg.Retries; attempt++ {
		if attempt > 0 {
			wait := backoff(attempt, s.cfg.MaxBackoff)
			s.log.Warn("sweep failed; retrying", "attempt", attempt, "retry_in", wait, "err", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		var b planner.Batch
		if b, err = s.sweepBatch(ctx); err != nil {
			continue
		}
		if err = s.execute(ctx, b); err == nil {
			s.setStatus(func(st *Status) { st.LastSweep = s.now() })
			s.metrics.lastSweep.SetToCurrentTime()
			return nil
		}
	}
	return fmt.Errorf("sweep failed after %d attempts: %w", s.cfg.Retries+1, err)
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
			b.Quorums = append(b.Quorums, q.Number)
		}
	}
	if len(b.Quorums) == 0 {
		return planner.Batch{}, ErrNothingInScope
	}
	return b, nil
}

// Cron is the original tool's behaviour: a sweep at start (or at FirstSyncTime), then one every
// SyncInterval; with SyncInterval 0, one sweep and return. Failed sweeps are logged and the
// schedule goes on.
func (s *Syncer) Cron(ctx context.Context) error {
	interval := s.cfg.Planner.SyncInterval
	if interval == 0 {
		return s.Sweep(ctx)
	}
	next := s.now()
	if s.cfg.Planner.FirstSyncTime.IsSet() {
		next = s.cfg.Planner.FirstSyncTime.Next(next)
	}
	s.setStatus(func(st *Status) { st.Started = true })
	for {
		if wait := next.Sub(s.now()); wait > 0 {
			s.log.Info("next sync", "at", next.UTC().Format(time.RFC3339), "in", wait.Round(time.Second))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
		}
		if err := s.Sweep(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("sync failed; next one on schedule", "err", err)
		}
		for !next.After(s.now()) {
			next = next.Add(interval)
		}
	}
}
