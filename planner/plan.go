package planner

import (
	"github.com/ethereum/go-ethereum/common"
)

// Plan is what the submitter sends: a few operators through updateOperators, whole quorums through
// updateOperatorsForQuorum. Every list is sorted ascending by address.
type Plan struct {
	// Operators are updated with RegistryCoordinator.updateOperators; each is stale in at least one
	// of its quorums (stored stake differs from current weight).
	Operators []common.Address
	// Quorums are refreshed with RegistryCoordinator.updateOperatorsForQuorum.
	Quorums []QuorumUpdate
	// Block is the block the plan was read at.
	Block uint64
	// Reason says why the plan exists: the batch's Reason.
	Reason Reason
	// GasLimited: the daily gas budget applies, and GasLeft is what remains of it. Transactions
	// of a plan other than a deadline refresh whose gas limit exceeds what remains are held back.
	GasLimited bool
	GasLeft    uint64
	// ChurnLine: every operator of the plan decides who a registration churns out of a full
	// quorum. Like a deadline refresh, it goes out whatever the daily gas budget says.
	ChurnLine bool
	// PredictedGas is the cost model's gas for the plan, set when it was fitted to a gas budget
	// (0 otherwise): against the gas limits its transactions ask for, the headroom the next
	// budgeted plan must leave (Batch.GasHeadroom).
	PredictedGas float64
}

// QuorumUpdate is one quorum of an updateOperatorsForQuorum call.
type QuorumUpdate struct {
	Quorum uint8
	// Operators is the complete operator set of Quorum at Plan.Block, sorted ascending.
	Operators []common.Address
}

// Empty reports whether the plan has nothing to send.
func (p Plan) Empty() bool { return len(p.Operators) == 0 && len(p.Quorums) == 0 }
