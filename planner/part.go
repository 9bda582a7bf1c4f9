package planner

import "github.com/ethereum/go-ethereum/common"

// Fault says whose doing it is that a transaction of a plan did not land. The submitter judges it
// where the failure happens; the planner takes the parts back by it (AddParts), and the owner
// decides from it when to look again.
type Fault int

const (
	// FaultNone: the part landed.
	FaultNone Fault = iota
	// FaultOwn: the work's own doing: it reverts (mined or in its estimate), is too large, or the
	// signing service rejected it. It counts toward setting the work aside, and a list of several
	// operators is split to find the one at fault.
	FaultOwn
	// FaultNode: the node refused or dropped the send, or it was not mined in time. Taken back
	// uncounted; the owner backs off as for failed reads.
	FaultNode
	// FaultFees: fees are above the cap or the sender is out of funds: nothing was sent, and
	// nothing can go until that changes.
	FaultFees
	// FaultBudget: its gas limit is above what remains of the daily gas budget.
	FaultBudget
	// FaultStopped: shutdown cut the send.
	FaultStopped
)

// Part is what became of one transaction of a batch's plan.
type Part struct {
	// Operators are the operators it carried: the list of an updateOperators, the members of the
	// refreshed quorums otherwise.
	Operators []common.Address
	// Quorums are the quorums it refreshed whole; none for an updateOperators.
	Quorums []uint8
	Fault   Fault
}

// AddParts adds to o the parts of b's plan. A part that landed stored its operators (Stored). A
// part that failed by its own doing fails: an updateOperators fails its operators (a list of
// several goes to FailedLists, to be split), a quorum refresh fails its quorums and takes b's own
// operators in them back uncounted (the refresh failed around them). Any other part is taken back
// uncounted: retrying it costs nothing, and setting it aside would strand work after a passing
// fault.
func (o *Outcome) AddParts(b Batch, parts []Part) {
	batchOps := make(map[common.Address]bool, len(b.Operators))
	for _, op := range b.Operators {
		batchOps[op] = true
	}
	for _, p := range parts {
		own := p.Fault == FaultOwn
		switch {
		case p.Fault == FaultNone:
			o.Stored = append(o.Stored, p.Operators...)
		case len(p.Quorums) == 0 && own:
			o.FailedOperators = append(o.FailedOperators, p.Operators...)
			if len(p.Operators) > 1 {
				// A list mined and reverted names none of its operators: it is split.
				o.FailedLists = append(o.FailedLists, p.Operators)
			}
		case len(p.Quorums) == 0:
			o.WaitingOperators = append(o.WaitingOperators, p.Operators...)
		default:
			if own {
				o.FailedQuorums = append(o.FailedQuorums, p.Quorums...)
			} else {
				o.WaitingQuorums = append(o.WaitingQuorums, p.Quorums...)
			}
			for _, op := range p.Operators {
				if batchOps[op] {
					o.WaitingOperators = append(o.WaitingOperators, op)
				}
			}
		}
	}
}
