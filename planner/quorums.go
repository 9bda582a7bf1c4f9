package planner

import (
	"math/bits"

	"github.com/avs-sync/avs-sync/watcher"
)

// quorumSet is a set of quorum numbers. Quorum numbers are uint8, so 256 bits hold any set and
// sets are compared and combined without allocating.
type quorumSet [4]uint64

// quorumsOf returns the set holding qs.
func quorumsOf(qs []uint8) quorumSet {
	var s quorumSet
	for _, q := range qs {
		s.add(q)
	}
	return s
}

func (s *quorumSet) add(q uint8)    { s[q>>6] |= 1 << (q & 63) }
func (s *quorumSet) remove(q uint8) { s[q>>6] &^= 1 << (q & 63) }

func (s quorumSet) has(q uint8) bool { return s[q>>6]&(1<<(q&63)) != 0 }

func (s quorumSet) empty() bool { return s == quorumSet{} }

func (s quorumSet) union(o quorumSet) quorumSet {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

func (s quorumSet) intersect(o quorumSet) quorumSet {
	for i := range s {
		s[i] &= o[i]
	}
	return s
}

func (s quorumSet) minus(o quorumSet) quorumSet {
	for i := range s {
		s[i] &^= o[i]
	}
	return s
}

func (s quorumSet) subsetOf(o quorumSet) bool { return s.minus(o).empty() }

// list returns the members in ascending order, or nil for the empty set.
func (s quorumSet) list() []uint8 {
	var out []uint8
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, uint8(i*64+b))
			w &= w - 1
		}
	}
	return out
}

// quorumFilter is the --quorums restriction: every quorum when all is set, else only those in set.
type quorumFilter struct {
	all bool
	set quorumSet
}

func newQuorumFilter(qs []uint8) quorumFilter {
	return quorumFilter{all: len(qs) == 0, set: quorumsOf(qs)}
}

func (f quorumFilter) has(q uint8) bool { return f.all || f.set.has(q) }

func (f quorumFilter) apply(s quorumSet) quorumSet {
	if f.all {
		return s
	}
	return s.intersect(f.set)
}

// quorumOf returns the quorum an event concerns, if it names one a quorum number can hold.
func quorumOf(ev watcher.Event) (uint8, bool) {
	if ev.Quorum < 0 || ev.Quorum > 255 {
		return 0, false
	}
	return uint8(ev.Quorum), true
}
