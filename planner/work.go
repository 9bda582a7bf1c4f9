package planner

import "fmt"

// QuorumMode is what a batch does with one of its quorums (QuorumWork.Mode).
type QuorumMode uint8

const (
	// QuorumNoWork: nothing is done with the quorum itself; its record carries NoEscalate only.
	QuorumNoWork QuorumMode = iota
	// QuorumRefresh: the quorum is refreshed whole (updateOperatorsForQuorum), which covers every
	// one of its operators.
	QuorumRefresh
	// QuorumMembers: every operator of the quorum is a candidate, resolved like Batch.Operators
	// (only the stale ones are sent, in the cheapest shape) but exempt from the materiality rule:
	// a quorum configuration changed weights across the quorum, or a sweep audits it.
	QuorumMembers
	// QuorumMaterialMembers: like QuorumMembers, for a quorum a sweep in SweepMaterial mode audits:
	// its operators are held to the materiality rule, unless also members of another quorum of the
	// batch that exempts them.
	QuorumMaterialMembers
	// QuorumMembersOnly: the quorum's whole refresh failed. This round its operators are
	// candidates as with QuorumMembers (exempt) and its stale ones go by updateOperators; the
	// quorum is neither refreshed nor escalated, and its refresh comes back in a later batch once
	// Done. In a sweep's batch it is audited by the sweep too (see sweepOwed).
	QuorumMembersOnly
)

var quorumModeText = [...]string{"no work", "refresh", "members", "material members", "members only"}

// String names the mode, for logs and test failures.
func (m QuorumMode) String() string {
	if int(m) >= len(quorumModeText) {
		return fmt.Sprintf("QuorumMode(%d)", m)
	}
	return quorumModeText[m]
}

// readsMembers reports whether the mode makes every operator of the quorum a candidate.
func (m QuorumMode) readsMembers() bool {
	return m == QuorumMembers || m == QuorumMaterialMembers || m == QuorumMembersOnly
}

// QuorumWork is a batch's work on one quorum (Batch.Work).
type QuorumWork struct {
	Quorum uint8
	// Mode is what the batch does with the quorum.
	Mode QuorumMode
	// NoEscalate: the quorum's refresh failed and waits for its retry, or was set aside: the
	// resolver never escalates it, so its stale operators go by updateOperators meanwhile instead
	// of by the refresh that fails. Never set with QuorumRefresh (the quorum goes whole anyway);
	// a QuorumMembersOnly quorum is never escalated, NoEscalate or not. The only thing a
	// QuorumNoWork record says, so always set on one.
	NoEscalate bool
}

// Refreshes returns the quorums the batch refreshes whole, ascending.
func (b Batch) Refreshes() []uint8 {
	return b.quorums(func(w QuorumWork) bool { return w.Mode == QuorumRefresh }).list()
}

// MemberQuorums returns the quorums whose every operator is a candidate (QuorumMembers,
// QuorumMaterialMembers, QuorumMembersOnly), ascending.
func (b Batch) MemberQuorums() []uint8 {
	return b.quorums(func(w QuorumWork) bool { return w.Mode.readsMembers() }).list()
}

// quorums returns the set of the batch's quorums whose record satisfies keep.
func (b Batch) quorums(keep func(QuorumWork) bool) quorumSet {
	var s quorumSet
	for _, w := range b.Work {
		if keep(w) {
			s.add(w.Quorum)
		}
	}
	return s
}

// quorumWork returns the records of a batch's quorums, ascending, from the sets Next gathers them
// in: refresh wins over members (it covers them), a failed refresh's members-only round over a
// sweep's audit of the same quorum (it reads every member too), and material applies to members
// only. noEscalate is dropped where the quorum is refreshed.
func quorumWork(refresh, members, membersOnly, material, noEscalate quorumSet) []QuorumWork {
	var out []QuorumWork
	for _, q := range refresh.union(members).union(membersOnly).union(noEscalate).list() {
		w := QuorumWork{Quorum: q, NoEscalate: noEscalate.has(q)}
		switch {
		case refresh.has(q):
			w.Mode, w.NoEscalate = QuorumRefresh, false
		case membersOnly.has(q):
			w.Mode = QuorumMembersOnly
		case members.has(q) && material.has(q):
			w.Mode = QuorumMaterialMembers
		case members.has(q):
			w.Mode = QuorumMembers
		}
		out = append(out, w)
	}
	return out
}
