package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/backoff"
	"github.com/avs-sync/avs-sync/internal/metricsreg"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
)

// Bounds of the retries of a read at a block the answering node lacks.
const (
	// firstReadRetry is the wait before the first retry; each retry waits twice the last, up to
	// maxReadRetry.
	firstReadRetry = 200 * time.Millisecond
	maxReadRetry   = 2 * time.Second
	// maxLagWait bounds the waits of one read: more than a 12 s block, so that a member one block
	// behind catches up even when the load balancer keeps sending to it. Past it the read fails
	// as any failed read does (the loop backs off).
	maxLagWait = 15 * time.Second
)

// retryReader retries a read at the same block while the node answers that it does not have that
// block (registry.ErrBlockUnavailable). Behind a load balancer the member answering a read may lag
// the member that reported the head by a block or two; the read is right, only early. It stays at
// the same block rather than stepping back to one every member has: the rounds of one read and the
// reads of one batch stay of one state, stale detection never reads below the events that made an
// operator dirty (an older block would call the operator a no-op and drop its work), and a quorum's
// operator set is read as close to inclusion as the node allows. A retry is not a failure: the
// update is neither counted toward setting it aside nor backed off.
type retryReader struct {
	r   Reader
	log *slog.Logger
	// retries counts retries by registry.UnavailableReasons (avssync_read_retries_total).
	retries *prometheus.CounterVec
	now     func() time.Time
	// wait sleeps d or until ctx ends.
	wait func(ctx context.Context, d time.Duration) error
}

var (
	_ Reader                  = (*retryReader)(nil)
	_ planner.StrategyCounter = (*retryReader)(nil)
)

// newRetryReader wraps r; reg receives its counter (nil: not exported), now is the clock.
func newRetryReader(r Reader, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) (*retryReader, error) {
	retries := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "avssync", Name: "read_retries_total",
		Help: "Chain reads retried at the same block because the answering node did not have it yet (a load balancer's lagging member), by reason: unknown_block (header not found), missing_state (missing trie node)."},
		[]string{"reason"})
	for _, reason := range registry.UnavailableReasons {
		retries.WithLabelValues(reason)
	}
	if err := metricsreg.All(reg, "read retry", retries); err != nil {
		return nil, err
	}
	return &retryReader{r: r, log: log, retries: retries, now: now, wait: backoff.Sleep}, nil
}

// OperatorStakes is Reader.OperatorStakes, retried at the same block while the block is unavailable.
func (rr *retryReader) OperatorStakes(ctx context.Context, operators []common.Address, block uint64) ([]planner.OperatorStake, error) {
	return retryRead(ctx, rr, "operator stakes", block, func() ([]planner.OperatorStake, error) {
		return rr.r.OperatorStakes(ctx, operators, block)
	})
}

// QuorumOperators is Reader.QuorumOperators, retried at the same block while the block is
// unavailable.
func (rr *retryReader) QuorumOperators(ctx context.Context, quorums []uint8, block uint64) (map[uint8][]common.Address, error) {
	return retryRead(ctx, rr, "quorum operator sets", block, func() (map[uint8][]common.Address, error) {
		return rr.r.QuorumOperators(ctx, quorums, block)
	})
}

// AllOperators is Reader.AllOperators, retried at the same block while the block is unavailable.
func (rr *retryReader) AllOperators(ctx context.Context, block uint64) ([]common.Address, error) {
	return retryRead(ctx, rr, "registered operators", block, func() ([]common.Address, error) {
		return rr.r.AllOperators(ctx, block)
	})
}

// Quorums is Reader.Quorums, retried at the same block while the block is unavailable.
func (rr *retryReader) Quorums(ctx context.Context, block uint64) ([]registry.Quorum, error) {
	return retryRead(ctx, rr, "quorums", block, func() ([]registry.Quorum, error) {
		return rr.r.Quorums(ctx, block)
	})
}

// PendingAllocations is Reader.PendingAllocations, retried at the same block while the block is
// unavailable.
func (rr *retryReader) PendingAllocations(ctx context.Context, operators []common.Address, quorums []uint8, block uint64) ([]registry.PendingAllocation, error) {
	return retryRead(ctx, rr, "pending allocations", block, func() ([]registry.PendingAllocation, error) {
		return rr.r.PendingAllocations(ctx, operators, quorums, block)
	})
}

// QuorumStrategyCounts is the wrapped reader's planner.StrategyCounter, retried at the same block
// while the block is unavailable; a reader that cannot count answers nothing (one strategy each).
// Without it the cost model and the cron's bill would take every quorum for one of one strategy.
func (rr *retryReader) QuorumStrategyCounts(ctx context.Context, quorums []uint8, block uint64) (map[uint8]int, error) {
	sc, ok := rr.r.(planner.StrategyCounter)
	if !ok {
		return map[uint8]int{}, nil
	}
	return retryRead(ctx, rr, "quorum strategy counts", block, func() (map[uint8]int, error) {
		return sc.QuorumStrategyCounts(ctx, quorums, block)
	})
}

// SetAVS passes the new AVS address on to the wrapped reader, if it is keyed by it.
func (rr *retryReader) SetAVS(avs common.Address) {
	if r, ok := rr.r.(AVSKeyed); ok {
		r.SetAVS(avs)
	}
}

// retryRead runs read until it succeeds, fails for another reason than an unavailable block, or
// the waits would pass maxLagWait or ctx's deadline. One line per retry.
func retryRead[T any](ctx context.Context, rr *retryReader, what string, block uint64, read func() (T, error)) (T, error) {
	var waited time.Duration
	policy := backoff.Policy{First: firstReadRetry, Max: maxReadRetry}
	for attempt := 1; ; attempt++ {
		delay := policy.Delay(attempt)
		v, err := read()
		if err == nil || !errors.Is(err, registry.ErrBlockUnavailable) {
			return v, err
		}
		if waited+delay > maxLagWait {
			return v, fmt.Errorf("block %d still unavailable after %d retries over %v: %w", block, attempt-1, waited, err)
		}
		if deadline, ok := ctx.Deadline(); ok && rr.now().Add(delay).After(deadline) {
			return v, fmt.Errorf("block %d still unavailable after %d retries, no time left to wait: %w", block, attempt-1, err)
		}
		reason := registry.BlockUnavailableReason(err)
		rr.retries.WithLabelValues(reason).Inc()
		rr.log.Info("block not on the answering node yet (a lagging member behind a load balancer); retrying at the same block",
			"read", what, "block", block, "reason", reason, "retry", attempt, "retry_in", delay, "err", err)
		if err := rr.wait(ctx, delay); err != nil {
			return v, fmt.Errorf("read %s at block %d: %w", what, block, err)
		}
		waited += delay
	}
}
