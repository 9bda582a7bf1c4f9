package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/faultlog"
	"github.com/avs-sync/avs-sync/internal/backoff"
	"github.com/avs-sync/avs-sync/planner"
)

// reloadState is the backoff of the loads of quorums and operators: the one at start and the
// reloads the loop does when they may have changed. Only the loop goroutine touches it.
type reloadState struct {
	// failures counts the loads failed since the last success; next is when the next may run.
	failures int
	next     time.Time
	// fault logs the run of failures: one line when it starts, a summary a minute (nil: none).
	fault *faultlog.Fault
}

// loadUntilUp loads the AVS's state, trying again while the node fails (1 s doubling up to
// Config.MaxBackoff), with Status.LoadFailure saying why for /readyz. It returns an error only
// when ctx ends.
func (s *Syncer) loadUntilUp(ctx context.Context, p *planner.Planner) (uint64, []common.Address, error) {
	for {
		head, ops, err := s.load(ctx, p)
		if err == nil {
			s.reloadOK()
			s.setStatus(func(st *Status) { st.LoadFailure = "" })
			return head, ops, nil
		}
		if ctx.Err() != nil {
			return 0, nil, err
		}
		s.reloadFailed(err)
		n := s.reload.failures
		s.setStatus(func(st *Status) {
			st.LoadFailure = fmt.Sprintf("reading the AVS's state from the node fails (%d tries); the log has the error", n)
		})
		if err := backoff.Sleep(ctx, s.reload.next.Sub(s.now())); err != nil {
			return 0, nil, err
		}
	}
}

// reloadDue reports whether a reload may run now: none failed, or the backoff since has passed.
func (s *Syncer) reloadDue() bool { return !s.now().Before(s.reload.next) }

// reloadFailed counts a failed load and sets when the next may run.
func (s *Syncer) reloadFailed(err error) {
	if s.reload.fault == nil {
		s.reload.fault = faultlog.New(s.log, "load of quorums and operators", time.Minute, s.now)
	}
	s.reload.fault.Fail(err)
	s.reload.failures++
	s.reload.next = s.now().Add(s.retryWait(s.reload.failures))
}

// reloadOK ends a run of failed loads, with a line saying so.
func (s *Syncer) reloadOK() {
	if s.reload.failures > 0 {
		s.log.Info("load of quorums and operators succeeding again", "failures", s.reload.failures)
	}
	s.reload = reloadState{}
}

// reloadWait is how long until a reload waiting for its backoff may run; an hour when none waits
// (one due runs at the loop's next turn, whenever that comes: never 0, which would spin the loop
// while an update is in flight).
func (s *Syncer) reloadWait(p *planner.Planner) time.Duration {
	d := s.reload.next.Sub(s.now())
	if (!p.NeedsReload() && !s.quorumsStale) || d <= 0 {
		return time.Hour
	}
	return d
}
