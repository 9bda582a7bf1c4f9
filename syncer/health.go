package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/avs-sync/avs-sync/watcher"
)

// HealthLimits bound what the daemon's state may show and still count as ready or live.
type HealthLimits struct {
	// WebSocket is set when a websocket URL is configured: polling instead is not ready.
	WebSocket bool
	// BlocksBehind is how far the last processed block may trail the head, on top of the
	// confirmations it waits for.
	BlocksBehind uint64
	// MaxHeadAge: not ready when the node's head has not advanced for longer (the node stopped
	// producing or following blocks). 0 is automatic: AutoHeadAgeBlocks block times, at least
	// MinAutoHeadAge, or DefaultHeadAge while the block time is unknown.
	MaxHeadAge time.Duration
	// MaxFailing: not ready when every update has failed for longer (reverts, fees above the cap,
	// an unfunded sender, a node refusing transactions); 0 turns the check off.
	MaxFailing time.Duration
	// MaxLoopStall: not live when the loop has not run for longer (wedged); 0 turns the check off.
	// The loop runs at least every Config.Heartbeat, so keep this well above that.
	MaxLoopStall time.Duration
}

// The loop goroutine itself waits on the node in one turn for at most the reload of quorums,
// operators and pending allocations (loadReads reads) and the pending allocations of late
// registrants (lateReads), each bounded by Config.ReadTimeout; updates run beside it.
const (
	loadReads = 5
	lateReads = 3
)

// LoopReadBound is the longest the loop can go without running while the node is slow to answer,
// given the read timeout. MaxLoopStall must be above it, or a slow node would count as a wedged
// loop and /healthz would restart a working process.
func LoopReadBound(readTimeout time.Duration) time.Duration {
	return (loadReads + lateReads) * readTimeout
}

// Automatic head age limit: a few block times, never so short that a missed slot or two flips
// readiness.
const (
	AutoHeadAgeBlocks = 5
	MinAutoHeadAge    = 30 * time.Second
	DefaultHeadAge    = time.Minute
)

// headAge is the head age limit for a chain of the given block time (0: unknown).
func (l HealthLimits) headAge(blockTime time.Duration) time.Duration {
	switch {
	case l.MaxHeadAge > 0:
		return l.MaxHeadAge
	case blockTime > 0:
		return max(AutoHeadAgeBlocks*blockTime, MinAutoHeadAge)
	}
	return DefaultHeadAge
}

// Ready reports why the daemon should not count as doing its job at now, or nil: loading, node
// unreachable, websocket down, behind the head, head not advancing, updates failing.
func Ready(now time.Time, st Status, ws watcher.Status, lim HealthLimits) error {
	limit := lim.headAge(ws.BlockTime)
	switch {
	case !st.Started && st.LoadFailure != "":
		return errors.New("loading AVS state: " + st.LoadFailure)
	case !st.Started:
		return errors.New("loading AVS state")
	case !ws.Connected:
		return errors.New("node unreachable")
	case lim.WebSocket && ws.Mode != "ws":
		return errors.New("websocket subscription down, polling")
	case ws.Head > ws.LastBlock+lim.BlocksBehind:
		return fmt.Errorf("%d blocks behind head", ws.Head-ws.LastBlock)
	case ws.HeadAge(now) > limit:
		return fmt.Errorf("chain head %d has not advanced for %s (limit %s)", ws.Head, ws.HeadAge(now).Round(time.Second), limit)
	case lim.MaxFailing > 0 && !st.FailingSince.IsZero() && now.Sub(st.FailingSince) > lim.MaxFailing:
		return fmt.Errorf("stake updates failing for %s (%d attempts, limit %s): %s",
			now.Sub(st.FailingSince).Round(time.Second), st.Failures, lim.MaxFailing, st.LastFailure)
	}
	return nil
}

// Live reports why the loop is wedged at now, or nil. Loading at start is bounded by the read
// timeout, so a loop that has not started yet is live.
// Its reads' waits for the rate limit are not stalls: the loop is waiting its turn, not wedged.
func Live(now time.Time, st Status, lim HealthLimits) error {
	stalled := now.Sub(st.LastLoop) - st.LimitWaited
	if !st.LimitWaitSince.IsZero() {
		stalled -= now.Sub(st.LimitWaitSince)
	}
	if st.Started && lim.MaxLoopStall > 0 && stalled > lim.MaxLoopStall {
		if waited := now.Sub(st.LastLoop) - stalled; waited > 0 {
			return fmt.Errorf("update loop has not run for %s (limit %s), %s of it waiting for the rate limit", now.Sub(st.LastLoop).Round(time.Second),
				lim.MaxLoopStall, waited.Round(time.Second))
		}
		return fmt.Errorf("update loop has not run for %s (limit %s)", now.Sub(st.LastLoop).Round(time.Second), lim.MaxLoopStall)
	}
	return nil
}

// setFailures records a batch's outcome in the run of failed updates: a failure starts or extends
// it, a success ends it, and work waiting for fees or funds leaves it as it is.
func (s *Syncer) setFailures(o outcome) {
	s.setStatus(func(st *Status) {
		switch {
		case o.res.Failed() || o.transient != nil:
			if st.FailingSince.IsZero() {
				st.FailingSince = s.now()
			}
			st.Failures++
			st.LastFailure = failure(o)
		case o.held == nil:
			st.FailingSince, st.Failures, st.LastFailure = time.Time{}, 0, ""
		}
	})
}

// failure says in a few words of our own what kind of failure an outcome is. It never quotes the
// error: /readyz serves it, on every interface by default, and node errors quote the node's URL,
// API key and all. The log line of the failure has the details.
func failure(o outcome) string {
	switch {
	case o.res.Err != nil:
		return "chain reads failing (node unreachable or erroring)"
	case len(o.res.FailedOperators) > 0 || len(o.res.FailedQuorums) > 0:
		return fmt.Sprintf("%d operator updates and %d quorum refreshes did not land by their own doing (reverted, too large or rejected by the signer)",
			len(o.res.FailedOperators), len(o.res.FailedQuorums))
	case errors.Is(o.transient, context.DeadlineExceeded):
		return "sends timing out (node slow, or transactions not mined in time)"
	default:
		return "sends failing on the node's side (refused, dropped or not mined in time)"
	}
}
