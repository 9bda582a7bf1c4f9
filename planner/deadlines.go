package planner

import "math"

// deadlineSchedule holds the staleness deadlines of an AVS that forbids stale stakes: the rule
// (whether it applies, the withdrawal delay, the margin) and each quorum's last whole refresh, from
// which its deadline is counted. It decides when a quorum is due; the Planner hands due quorums
// out.
//
// Its invariants: deadlines are kept only while forbidden, which implies a known delay (above 0);
// the margin in effect is below the delay (margin), so a quorum refreshed at its deadline is not
// due again at once; a quorum's deadline only moves later when its refresh is seen, and while a
// removed refresh may come back (reincluding) it is no earlier than reincludeWait blocks after
// the removed one.
type deadlineSchedule struct {
	// forbidden: the AVS's signature checkers forbid stale stakes and delay is known.
	forbidden bool
	// delay is the withdrawal delay in blocks (Config.WithdrawalDelayBlocks, then SetStaleStakes).
	delay uint64
	// configuredMargin is Config.DeadlineMargin; margin returns the one in effect.
	configuredMargin uint64
	// updateBlock is each quorum's quorumUpdateBlockNumber as last known; absent means 0, the
	// contract's value for a quorum never refreshed whole, so its deadline is already due.
	updateBlock map[uint8]uint64
	// reincluding holds the quorums whose last QuorumBlockNumberUpdated a reorg removed, by the
	// removed log's block, until the refresh is seen again (its event, or a read of
	// quorumUpdateBlockNumber at or past that block). Their deadline waits for it (deadline).
	reincluding map[uint8]uint64
}

func newDeadlineSchedule(cfg Config) deadlineSchedule {
	return deadlineSchedule{
		forbidden:        cfg.StaleStakesForbidden,
		delay:            cfg.WithdrawalDelayBlocks,
		configuredMargin: cfg.DeadlineMargin,
		updateBlock:      make(map[uint8]uint64),
		reincluding:      make(map[uint8]uint64),
	}
}

// setRule applies the AVS's stale-stakes rule as last read from the chain (see
// Planner.SetStaleStakes) and reports whether it changed.
func (s *deadlineSchedule) setRule(forbidden bool, delayBlocks uint64) bool {
	forbidden = forbidden && delayBlocks > 0
	changed := forbidden != s.forbidden || (forbidden && delayBlocks != s.delay)
	s.forbidden = forbidden
	if delayBlocks > 0 {
		s.delay = delayBlocks
	}
	return changed
}

// margin is how many blocks before a deadline the refresh goes out: the configured margin, or a
// tenth of the delay where that margin would eat it.
func (s *deadlineSchedule) margin() uint64 {
	if s.configuredMargin >= s.delay {
		return s.delay / 10
	}
	return s.configuredMargin
}

// seen records a whole refresh of q at block, from its event: a removed one it may have been is
// back.
func (s *deadlineSchedule) seen(q uint8, block uint64) {
	s.updateBlock[q] = block
	delete(s.reincluding, q)
}

// read records q's quorumUpdateBlockNumber as read from the chain. A read at or past the block of
// a whole refresh a reorg removed shows it back on the canonical chain.
func (s *deadlineSchedule) read(q uint8, block uint64) {
	s.updateBlock[q] = block
	if removed, ok := s.reincluding[q]; ok && block >= removed {
		delete(s.reincluding, q)
	}
}

// removed records that a reorg removed q's whole refresh at block.
func (s *deadlineSchedule) removed(q uint8, block uint64) { s.reincluding[q] = block }

// landed records that a refresh of q sent at head landed, at or after head: without it the
// deadline would stay due until the refresh's event is seen.
func (s *deadlineSchedule) landed(q uint8, head uint64) {
	if s.updateBlock[q] < head {
		s.updateBlock[q] = head
	}
}

// due returns the quorums in among whose deadline head has reached; none unless forbidden.
func (s *deadlineSchedule) due(among quorumSet, head uint64) quorumSet {
	var due quorumSet
	if !s.forbidden {
		return due
	}
	for _, q := range among.list() {
		if head >= s.deadline(q) {
			due.add(q)
		}
	}
	return due
}

// staleStakesDeadline returns the block from which the AVS rejects q's stored stakes (its last
// whole refresh plus the delay), and false when it accepts stale stakes.
func (s *deadlineSchedule) staleStakesDeadline(q uint8) (uint64, bool) {
	if !s.forbidden {
		return 0, false
	}
	d := s.updateBlock[q] + s.delay
	if d < s.updateBlock[q] { // overflow: never due
		return math.MaxUint64, true
	}
	return d, true
}

// deadline is the block from which quorum q must be swept: its last refresh plus the withdrawal
// delay, less the margin. While a whole refresh a reorg removed may come back (reincluding), it is
// no earlier than reincludeWait blocks after the removed one: the transaction went back to the
// nodes' pools, and a second refresh sent meanwhile would be mined beside it.
func (s *deadlineSchedule) deadline(q uint8) uint64 {
	d := s.updateBlock[q] + s.delay
	if d < s.updateBlock[q] { // overflow: never due
		return math.MaxUint64
	}
	margin := s.margin()
	if d < margin {
		d = 0
	} else {
		d -= margin
	}
	if removed, ok := s.reincluding[q]; ok {
		d = max(d, removed+s.reincludeWait())
	}
	return d
}

// reincludeWait is how long a removed whole refresh is given to come back: half the deadline
// margin, so that a refresh sent after it still has the other half to land.
func (s *deadlineSchedule) reincludeWait() uint64 { return max(s.margin()/2, 1) }
