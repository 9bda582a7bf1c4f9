package syncer

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
)

// StaleStakesReader reads the AVS's stale-stakes rule: its signature checkers' flags and the
// withdrawal delay.
type StaleStakesReader interface {
	StaleStakes(ctx context.Context, block uint64) (registry.StaleStakes, error)
}

// errNoStaleStakes: the reader given to New does not read the stale-stakes rule.
var errNoStaleStakes = errors.New("the reader does not read the stale-stakes rule")

// StaleStakes is the wrapped reader's StaleStakes, retried at the same block while the block is
// unavailable.
func (rr *retryReader) StaleStakes(ctx context.Context, block uint64) (registry.StaleStakes, error) {
	sr, ok := rr.r.(StaleStakesReader)
	if !ok {
		return registry.StaleStakes{}, errNoStaleStakes
	}
	return retryRead(ctx, rr, "stale-stakes rule", block, func() (registry.StaleStakes, error) {
		return sr.StaleStakes(ctx, block)
	})
}

// staleStakesState is what the loop remembers of the rule between reads, so that each change and
// each unreadable checker is said once. Only the loop goroutine touches it.
type staleStakesState struct {
	// warned are the checkers whose unreadable flag has been warned about.
	warned map[common.Address]bool
	// noDelay is set once the missing withdrawal delay has been warned about.
	noDelay bool
	// read is set after the first read, so that the rule in force is said once at start.
	read bool
}

// followStaleStakes reads the stale-stakes rule at block and applies it to p: one line when it
// changes (or at the first read), one warning per checker whose flag cannot be read.
func (s *Syncer) followStaleStakes(ctx context.Context, p *planner.Planner, block uint64) error {
	sr, ok := s.reader.(StaleStakesReader)
	if !ok {
		return errNoStaleStakes
	}
	rule, err := sr.StaleStakes(ctx, block)
	if err != nil {
		return fmt.Errorf("read the stale-stakes rule at block %d: %w", block, err)
	}
	st := &s.staleStakes
	if st.warned == nil {
		st.warned = make(map[common.Address]bool)
	}
	for _, c := range rule.Unreadable {
		if st.warned[c] {
			continue
		}
		st.warned[c] = true
		s.log.Warn("staleStakesForbidden() of this signature checker cannot be read (it reverts or the address has no such function): "+
			"taken as forbidding stale stakes, so each quorum is refreshed whole once per withdrawal delay; "+
			"if the AVS's BLSSignatureChecker is another contract, name it with --signature-checker-addr",
			"checker", c, "withdrawal_delay_blocks", rule.DelayBlocks)
	}
	if rule.Forbidden && !rule.DelayKnown && !st.noDelay {
		st.noDelay = true
		s.log.Error("the AVS forbids stale stakes but the DelegationManager's withdrawal delay cannot be read: no deadline can be kept; only sweeps refresh quorums whole",
			"block", block)
	}
	changed := p.SetStaleStakes(rule.Forbidden, rule.DelayBlocks)
	forbidden := p.StaleStakesForbidden()
	s.metrics.staleStakesForbidden(forbidden)
	if !changed && st.read {
		return nil
	}
	st.read = true
	if forbidden {
		s.log.Info("the AVS forbids stale stakes: each quorum in scope is refreshed whole before its deadline, whatever the budget and materiality",
			"forbidden_by", rule.ForbiddenBy, "unreadable", rule.Unreadable, "withdrawal_delay_blocks", rule.DelayBlocks,
			"margin_blocks", p.DeadlineMargin(), "block", block)
	} else {
		s.log.Info("the AVS accepts stale stakes: no staleness deadline", "block", block)
	}
	return nil
}
