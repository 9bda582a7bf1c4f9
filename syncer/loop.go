package syncer

import "time"

// watchLoop is what Watch's loop keeps between its turns, besides the planner: the one batch that
// may be out, and what the next one waits for after a failure on the node's side or a hold. Only
// the loop goroutine touches it.
type watchLoop struct {
	// done receives the outcome of the batch in flight. It holds one, so the batch's goroutine
	// never blocks on a loop that has stopped taking outcomes.
	done chan outcome
	// inflight is set from the start of a batch (start) until its outcome is taken back
	// (settled): at most one batch is out at a time.
	inflight bool
	// readFailures counts the consecutive batches that failed on the node's side (its reads, or
	// sends the node refused or dropped); the first batch that does not resets it. It sets the
	// backoff and, beyond Config.Retries, the level of the failure's log line.
	readFailures int
	// holdUntil is the end of the backoff after such a failure: no batch starts before it. Zero
	// when the last batch did not fail on the node's side.
	holdUntil time.Time
	// holdBlock: while fees are above the cap (or funds are out, or parts are over the gas
	// budget), no batch starts before the head reaches it; each new look costs a few reads, no
	// transaction. 0 when nothing is held.
	holdBlock uint64
}

func newWatchLoop() *watchLoop { return &watchLoop{done: make(chan outcome, 1)} }

// canStart reports whether a batch may start at now, with the chain at head.
func (l *watchLoop) canStart(now time.Time, head uint64) bool {
	return !l.inflight && !now.Before(l.holdUntil) && head >= l.holdBlock
}

// start runs a batch on a goroutine of its own; its outcome comes back on done.
func (l *watchLoop) start(run func() outcome) {
	l.inflight = true
	go func() { l.done <- run() }()
}

// settled records that the batch in flight came back. hold asks the next batch to wait
// HoldBlocks past head. nodeErr, when set, is a failure on the node's side: it extends the run of
// them, and the next batch waits the backoff wait returns for the run's length (from 1), which
// settled returns; without one, the run ends and settled returns 0.
func (l *watchLoop) settled(hold bool, head uint64, nodeErr error, now time.Time, wait func(failures int) time.Duration) time.Duration {
	l.inflight = false
	l.holdBlock = 0
	if hold {
		l.holdBlock = head + HoldBlocks
	}
	if nodeErr == nil {
		l.readFailures, l.holdUntil = 0, time.Time{}
		return 0
	}
	l.readFailures++
	d := wait(l.readFailures)
	l.holdUntil = now.Add(d)
	return d
}
