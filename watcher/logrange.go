package watcher

import (
	"errors"
	"net/http"
	"strings"

	"github.com/ethereum/go-ethereum/rpc"
)

// growAfter is how many reads in a row must succeed at the current range before it doubles;
// after a doubled range is refused again, twice as many, up to maxGrowAfter.
const (
	growAfter    = 8
	maxGrowAfter = 1024
)

// logRange is how many blocks one eth_getLogs covers. Hosted providers cap the range or the size
// of the answer ("query exceeds max block range", "more than 10000 results"), and a rejected range
// is rejected again however often it is retried: the range halves on such an error, down to one
// block, and doubles back towards max once enough reads in a row succeed at the current size, so
// a dense stretch of the chain does not slow every later backfill. Against a fixed cap the
// doubled range is refused again: each such refusal doubles the reads before the next try, so
// the waste falls to one read in hundreds. Owned by the follower.
type logRange struct {
	// max is the configured maximum; 1 <= size <= max always.
	max, size uint64
	// ok counts reads in a row that covered size blocks and succeeded; wait is how many it takes
	// to grow.
	ok, wait int
	// grown is set while size was doubled and no read of that size has succeeded yet.
	grown bool
}

func newLogRange(max uint64) *logRange { return &logRange{max: max, size: max, wait: growAfter} }

// shrink halves the range after a rejected read. It reports false when the range is one block
// already: the rejection is then not about the range, and is retried as any failed read.
func (r *logRange) shrink() bool {
	r.ok = 0
	if r.grown {
		r.wait = min(2*r.wait, maxGrowAfter)
		r.grown = false
	}
	if r.size == 1 {
		return false
	}
	r.size = max(1, r.size/2)
	return true
}

// succeeded records a successful read of span blocks, and reports whether the range grew. Reads
// shorter than the range (at the head) say nothing about whether the range is accepted.
func (r *logRange) succeeded(span uint64) bool {
	if span < r.size {
		return false
	}
	if r.grown {
		r.grown, r.wait = false, growAfter
	}
	if r.size == r.max {
		return false
	}
	r.ok++
	if r.ok < r.wait {
		return false
	}
	r.ok, r.grown = 0, true
	r.size = min(r.max, 2*r.size)
	return true
}

// rangeLimitError is a log read the node refused because of its range or the size of its answer.
type rangeLimitError struct{ err error }

func (e *rangeLimitError) Error() string { return e.err.Error() }
func (e *rangeLimitError) Unwrap() error { return e.err }

// limitPhrases are how providers word a refused eth_getLogs range, lower-cased: geth, Erigon,
// Infura ("query returned more than 10000 results"), Alchemy ("Log response size exceeded"),
// QuickNode, Ankr and others.
var limitPhrases = []string{
	"block range", "range too large", "range is too large", "too wide", "max range",
	"more than", "query returned", "response size", "result size", "too many results",
	"results limit", "limit exceeded", "exceed max", "size exceeded", "exceeds limit", "too large",
	"query timeout",
}

// ratePhrases mark a refusal that is about the request rate, not the range: a smaller range would
// only mean more requests.
var ratePhrases = []string{"rate limit", "rate-limit", "too many requests", "request rate", "daily request", "capacity"}

// isRangeLimit reports whether err is a node's refusal of a log range as too large.
func isRangeLimit(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, p := range ratePhrases {
		if strings.Contains(msg, p) {
			return false
		}
	}
	var herr rpc.HTTPError
	if errors.As(err, &herr) {
		switch herr.StatusCode {
		case http.StatusTooManyRequests:
			return false
		case http.StatusRequestEntityTooLarge:
			return true
		}
	}
	var rerr rpc.Error
	if errors.As(err, &rerr) && rerr.ErrorCode() == -32005 { // "limit exceeded" (EIP-1474)
		return true
	}
	for _, p := range limitPhrases {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
