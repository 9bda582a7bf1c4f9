// Package faultlog logs a lasting fault as a few lines instead of one per failure: the first
// failure, a summary every interval while failures go on (how many, the last error), and a line
// once an interval has passed without one. A provider's bad day then writes a line a minute, not a
// line per request; the metrics carry the counts.
package faultlog

import (
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxErrText bounds the text of a node's error wherever it is logged or served: a gateway's error
// page can be as large as a reply may be, and says nothing more in its second kilobyte.
const MaxErrText = 200

// Cut returns s cut to MaxErrText bytes, marked when cut. It never ends inside a word: a cut URL
// would keep part of an API key that the log's scrubber, which matches whole URLs and whole parts
// of them, no longer recognises; so the word the limit falls in is dropped whole.
func Cut(s string) string {
	if len(s) <= MaxErrText {
		return s
	}
	n := MaxErrText
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	if i := strings.LastIndexAny(s[:n+1], " \t\n\"'<>"); i >= 0 {
		n = i
	} else {
		n = 0
	}
	return s[:n] + "…(cut)"
}

// Fault follows one kind of failure (requests to the node, a read of the loop). Safe for
// concurrent use.
type Fault struct {
	log      *slog.Logger
	what     string
	interval time.Duration
	now      func() time.Time

	mu sync.Mutex
	// active is set from the first failure until an interval passes without one; since is when it
	// began, total the failures since then.
	active bool
	since  time.Time
	total  int
	// summarised is when the last line was written; failures counts those since it; last is the
	// latest failure's error text and lastAt its time.
	summarised time.Time
	failures   int
	last       string
	lastAt     time.Time
}

// New returns a Fault that logs on log as what ("node requests"), summarising every interval; now
// is the clock (nil: time.Now).
func New(log *slog.Logger, what string, interval time.Duration, now func() time.Time) *Fault {
	if now == nil {
		now = time.Now
	}
	return &Fault{log: log, what: what, interval: interval, now: now}
}

// Fail records a failure: the first of a fault is logged at once, the rest in a summary at most
// once an interval.
func (f *Fault) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.clearIfQuiet(now)
	f.last, f.lastAt = Cut(err.Error()), now
	f.total++
	if !f.active {
		f.active, f.since, f.summarised, f.failures = true, now, now, 0
		f.log.Warn(f.what+" failing", "err", f.last)
		return
	}
	f.failures++
	if now.Sub(f.summarised) >= f.interval {
		f.log.Warn(f.what+" still failing", "failures", f.failures, "in", now.Sub(f.summarised).Round(time.Second),
			"since", f.since.Format(time.RFC3339), "total", f.total, "last_err", f.last)
		f.summarised, f.failures = now, 0
	}
}

// OK records a success: once an interval has passed since the last failure, the fault is over and
// a line says so.
func (f *Fault) OK() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clearIfQuiet(f.now())
}

// clearIfQuiet ends an active fault whose last failure is an interval old. f.mu is held.
func (f *Fault) clearIfQuiet(now time.Time) {
	if !f.active || now.Sub(f.lastAt) < f.interval {
		return
	}
	f.log.Info(f.what+" succeeding again", "failures", f.total, "lasted", f.lastAt.Sub(f.since).Round(time.Second),
		"last_err", f.last)
	f.active, f.total, f.failures = false, 0, 0
}
