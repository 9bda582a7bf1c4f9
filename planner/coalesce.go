package planner

import "time"

// coalescer holds the latency budget's state (Config.MaxStaleness): when changes arrive, and
// when the group of changes now waiting goes out.
type coalescer struct {
	// last is when the last operator was dirtied; zero before the first. Operators dirtied at
	// one instant (Planner.Together) are one change: lastReady is when they are all ready.
	last      time.Time
	lastReady time.Time
	// release is when the current group goes out; a change before it joins the group, and no
	// change waits past its own time plus MaxStaleness because release is at most that, but for
	// a release of the budget's held work, which may move it up to Debounce later.
	release time.Time
}

// dirtyReady returns when an operator dirtied now may be handed out. Without a budget, after the
// debounce. With one, a change on a quiet AVS (none in the last MaxStaleness) also goes after the
// debounce; a change on a busy one joins the waiting group, or starts one that goes out
// MaxStaleness from now, so that the changes arriving meanwhile share its transactions. The
// operators dirtied at one instant are one change, ready at one time.
func (p *Planner) dirtyReady(now time.Time) time.Time {
	debounced := now.Add(p.cfg.Debounce)
	budget := p.cfg.MaxStaleness
	if budget <= 0 {
		return debounced
	}
	c := &p.coalesce
	if !c.last.IsZero() && now.Equal(c.last) {
		return c.lastReady
	}
	busy := !c.last.IsZero() && now.Sub(c.last) < budget
	c.last = now
	switch {
	case now.Before(c.release):
		c.lastReady = c.release
	case busy:
		c.release = now.Add(budget)
		c.lastReady = c.release
	default:
		c.lastReady = debounced
	}
	return c.lastReady
}
