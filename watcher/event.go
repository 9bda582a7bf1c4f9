package watcher

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Kind says what an Event means for the stakes of the AVS.
type Kind uint8

const (
	// SharesChanged: an operator's delegated shares moved (increase, decrease, slash, delegation,
	// undelegation, magnitude or slashing-factor change). The operator's weight may differ from its
	// stored stake.
	SharesChanged Kind = iota + 1
	// AllocationChanged: an operator's allocation to one of our operator sets changes at EffectBlock.
	AllocationChanged
	// OperatorRegistered: the operator joined the AVS (RegistryCoordinator OperatorRegistered).
	OperatorRegistered
	// OperatorDeregistered: the operator left the AVS entirely.
	OperatorDeregistered
	// QuorumConfigChanged: a quorum's strategies, multipliers, minimum stake, lookahead or params
	// changed, or a quorum was created; every operator of Quorum may be stale.
	QuorumConfigChanged
	// QuorumUpdated: updateOperatorsForQuorum refreshed Quorum at BlockNumber
	// (RegistryCoordinator QuorumBlockNumberUpdated), resetting its staleness clock.
	QuorumUpdated
	// StakeStored: StakeRegistry OperatorStakeUpdate, a stored stake was written.
	StakeStored
	// AVSChanged: RegistryCoordinator.setAVS pointed the AVS's operator sets at AVS (from
	// PrevAVS): slashable weights are now read under the new key, so every operator may be stale.
	// From this event on, the watcher keeps allocation events of the new AVS, not the old one's.
	AVSChanged
	// StaleStakesRuleChanged: a signature checker switched its stale-stakes rule
	// (StaleStakesForbiddenUpdate): the rule and the deadlines it sets are read again.
	StaleStakesRuleChanged
)

var kindNames = map[Kind]string{
	SharesChanged:          "shares_changed",
	AllocationChanged:      "allocation_changed",
	OperatorRegistered:     "operator_registered",
	OperatorDeregistered:   "operator_deregistered",
	QuorumConfigChanged:    "quorum_config_changed",
	QuorumUpdated:          "quorum_updated",
	StakeStored:            "stake_stored",
	AVSChanged:             "avs_changed",
	StaleStakesRuleChanged: "stale_stakes_rule_changed",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// NoQuorum marks an Event that concerns no particular quorum.
const NoQuorum = -1

// Event is one decoded log, reduced to what the planner needs.
type Event struct {
	Kind Kind
	// Name is the Solidity event name, e.g. "OperatorSharesIncreased", for logs and metrics.
	Name string
	// Operator is the operator concerned, zero when the event is about a quorum only.
	Operator common.Address
	// OperatorID is set for registration and stake events.
	OperatorID [32]byte
	// Quorum is the quorum concerned, or NoQuorum.
	Quorum int
	// EffectBlock is the block from which an AllocationChanged takes effect.
	EffectBlock uint64
	// AVS and PrevAVS are, for AVSChanged, the new and the previous AVS address.
	AVS, PrevAVS common.Address
	// Block, TxHash and LogIndex locate the log.
	Block    uint64
	TxHash   common.Hash
	LogIndex uint
	// Removed is true when a reorg removed the log from the canonical chain: whatever it
	// announced must be re-checked against the new canonical state.
	Removed bool
}
