package watcher

import (
	"errors"
	"fmt"
	"math/big"
	"slices"

	allocationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/AllocationManager"
	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	sigchecker "github.com/Layr-Labs/eigensdk-go/contracts/bindings/IBLSSignatureChecker"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// errNotOurs marks a log that decodes but concerns another AVS (an allocation to a foreign
// operator set): it is dropped silently.
var errNotOurs = errors.New("concerns another AVS")

// decodeFunc turns one log of a known (address, topic0) into an Event; the caller fills in Name
// and the log's position.
type decodeFunc func(types.Log) (Event, error)

type decoderEntry struct {
	name   string
	decode decodeFunc
}

// decoder knows, per source contract, which events matter and how to reduce them to Events.
// Logs are matched on address and topic0 together, so an event of one contract never decodes
// as another's even where two contracts share an event name (QuorumCreated).
type decoder struct {
	byAddr map[common.Address]map[common.Hash]decoderEntry
	// addresses and topics are the filter every subscription and eth_getLogs uses: the node
	// sends only logs of these contracts whose topic0 is one we decode.
	addresses []common.Address
	topics    []common.Hash
	// avs is the AVS whose allocation events are ours: Sources.AVS, then the newest AVSUpdated
	// decoded (or restored by a reorganisation). Only the follower's goroutine touches it.
	avs common.Address
}

// newDecoder builds the decoder for the non-zero contracts of s.
func newDecoder(s Sources) (*decoder, error) {
	d := &decoder{byAddr: map[common.Address]map[common.Hash]decoderEntry{}, avs: s.AVS}
	if s.AllocationManager != (common.Address{}) && s.AVS == (common.Address{}) {
		return nil, errors.New("sources: the AllocationManager needs the AVS address its operator sets belong to")
	}
	if a := s.DelegationManager; a != (common.Address{}) {
		if err := d.addDelegationManager(a); err != nil {
			return nil, fmt.Errorf("delegation manager events: %w", err)
		}
	}
	if a := s.AllocationManager; a != (common.Address{}) {
		if err := d.addAllocationManager(a); err != nil {
			return nil, fmt.Errorf("allocation manager events: %w", err)
		}
	}
	if a := s.RegistryCoordinator; a != (common.Address{}) {
		if err := d.addRegistryCoordinator(a); err != nil {
			return nil, fmt.Errorf("registry coordinator events: %w", err)
		}
	}
	if a := s.StakeRegistry; a != (common.Address{}) {
		if err := d.addStakeRegistry(a); err != nil {
			return nil, fmt.Errorf("stake registry events: %w", err)
		}
	}
	if a := s.ECDSAStakeRegistry; a != (common.Address{}) {
		if err := d.addECDSAStakeRegistry(a); err != nil {
			return nil, fmt.Errorf("ECDSA stake registry events: %w", err)
		}
	}
	for _, a := range s.SignatureCheckers {
		if err := d.addSignatureChecker(a); err != nil {
			return nil, fmt.Errorf("signature checker events: %w", err)
		}
	}
	if len(d.addresses) == 0 {
		return nil, errors.New("sources: no contract address set")
	}
	return d, nil
}

// query returns the log filter for blocks from..to.
func (d *decoder) query(from, to uint64) ethereum.FilterQuery {
	q := d.liveQuery()
	q.FromBlock, q.ToBlock = new(big.Int).SetUint64(from), new(big.Int).SetUint64(to)
	return q
}

// blockQuery returns the log filter for the single block hash.
func (d *decoder) blockQuery(hash common.Hash) ethereum.FilterQuery {
	q := d.liveQuery()
	q.BlockHash = &hash
	return q
}

// mayContain reports whether a block with bloom may hold a log the filter matches: one of the
// addresses and one of the topics are in it. Blooms have no false negatives.
func (d *decoder) mayContain(bloom types.Bloom) bool {
	addr := slices.ContainsFunc(d.addresses, func(a common.Address) bool { return types.BloomLookup(bloom, a) })
	return addr && slices.ContainsFunc(d.topics, func(t common.Hash) bool { return types.BloomLookup(bloom, t) })
}

// liveQuery returns the log filter without a block range, for subscriptions.
func (d *decoder) liveQuery() ethereum.FilterQuery {
	return ethereum.FilterQuery{Addresses: d.addresses, Topics: [][]common.Hash{d.topics}}
}

// decode reduces l to an Event. It fails for a log the decoder does not know or cannot unpack,
// and with errNotOurs for a log about another AVS.
func (d *decoder) decode(l types.Log) (Event, error) {
	if len(l.Topics) == 0 {
		return Event{}, errors.New("log without topics")
	}
	entry, ok := d.byAddr[l.Address][l.Topics[0]]
	if !ok {
		return Event{}, fmt.Errorf("unknown event %s of %s", l.Topics[0], l.Address)
	}
	ev, err := entry.decode(l)
	if err != nil {
		if errors.Is(err, errNotOurs) {
			return Event{}, err
		}
		return Event{}, fmt.Errorf("decode %s of %s: %w", entry.name, l.Address, err)
	}
	ev.Name = entry.name
	ev.Block, ev.TxHash, ev.LogIndex, ev.Removed = l.BlockNumber, l.TxHash, l.Index, l.Removed
	return ev, nil
}

func (d *decoder) add(addr common.Address, a *abi.ABI, name string, f decodeFunc) error {
	e, ok := a.Events[name]
	if !ok {
		return fmt.Errorf("event %s missing from the ABI", name)
	}
	m := d.byAddr[addr]
	if m == nil {
		m = map[common.Hash]decoderEntry{}
		d.byAddr[addr] = m
		d.addresses = append(d.addresses, addr)
	}
	m[e.ID] = decoderEntry{name: name, decode: f}
	for _, t := range d.topics {
		if t == e.ID {
			return nil
		}
	}
	d.topics = append(d.topics, e.ID)
	return nil
}

// operatorEvent is an event about one operator only.
func operatorEvent(k Kind, op common.Address) Event {
	return Event{Kind: k, Operator: op, Quorum: NoQuorum}
}

// quorumEvent is an event about one quorum only.
func quorumEvent(k Kind, q uint8) Event {
	return Event{Kind: k, Quorum: int(q)}
}

func (d *decoder) addDelegationManager(addr common.Address) error {
	a, err := delegationmanager.ContractDelegationManagerMetaData.GetAbi()
	if err != nil {
		return err
	}
	f, err := delegationmanager.NewContractDelegationManagerFilterer(addr, nil)
	if err != nil {
		return err
	}
	return errors.Join(
		d.add(addr, a, "OperatorSharesIncreased", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorSharesIncreased(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
		d.add(addr, a, "OperatorSharesDecreased", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorSharesDecreased(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
		d.add(addr, a, "OperatorSharesSlashed", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorSharesSlashed(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
		d.add(addr, a, "StakerDelegated", func(l types.Log) (Event, error) {
			e, err := f.ParseStakerDelegated(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
		d.add(addr, a, "StakerUndelegated", func(l types.Log) (Event, error) {
			e, err := f.ParseStakerUndelegated(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
		d.add(addr, a, "StakerForceUndelegated", func(l types.Log) (Event, error) {
			e, err := f.ParseStakerForceUndelegated(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
	)
}

func (d *decoder) addAllocationManager(addr common.Address) error {
	a, err := allocationmanager.ContractAllocationManagerMetaData.GetAbi()
	if err != nil {
		return err
	}
	f, err := allocationmanager.NewContractAllocationManagerFilterer(addr, nil)
	if err != nil {
		return err
	}
	return errors.Join(
		d.add(addr, a, "AllocationUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseAllocationUpdated(l)
			if err != nil {
				return Event{}, err
			}
			if e.OperatorSet.Avs != d.avs {
				return Event{}, errNotOurs
			}
			return Event{
				Kind:        AllocationChanged,
				Operator:    e.Operator,
				Quorum:      int(e.OperatorSet.Id),
				EffectBlock: uint64(e.EffectBlock),
			}, nil
		}),
		// A slash or magnitude change by any AVS moves the operator's shares or slashable
		// stake everywhere, ours included.
		d.add(addr, a, "OperatorSlashed", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorSlashed(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
		d.add(addr, a, "MaxMagnitudeUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseMaxMagnitudeUpdated(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
		d.add(addr, a, "EncumberedMagnitudeUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseEncumberedMagnitudeUpdated(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(SharesChanged, e.Operator), nil
		}),
	)
}

func (d *decoder) addRegistryCoordinator(addr common.Address) error {
	a, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		return err
	}
	f, err := regcoord.NewContractRegistryCoordinatorFilterer(addr, nil)
	if err != nil {
		return err
	}
	return errors.Join(
		d.add(addr, a, "OperatorRegistered", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorRegistered(l)
			if err != nil {
				return Event{}, err
			}
			return Event{Kind: OperatorRegistered, Operator: e.Operator, OperatorID: e.OperatorId, Quorum: NoQuorum}, nil
		}),
		d.add(addr, a, "OperatorDeregistered", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorDeregistered(l)
			if err != nil {
				return Event{}, err
			}
			return Event{Kind: OperatorDeregistered, Operator: e.Operator, OperatorID: e.OperatorId, Quorum: NoQuorum}, nil
		}),
		d.add(addr, a, "QuorumCreated", func(l types.Log) (Event, error) {
			e, err := f.ParseQuorumCreated(l)
			if err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, e.QuorumNumber), nil
		}),
		d.add(addr, a, "OperatorSetParamsUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorSetParamsUpdated(l)
			if err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, e.QuorumNumber), nil
		}),
		d.add(addr, a, "AVSUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseAVSUpdated(l)
			if err != nil {
				return Event{}, err
			}
			// Allocation events after this one, in this range too, are the new AVS's.
			d.avs = e.NewAVS
			return Event{Kind: AVSChanged, AVS: e.NewAVS, PrevAVS: e.PrevAVS, Quorum: NoQuorum}, nil
		}),
		d.add(addr, a, "QuorumBlockNumberUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseQuorumBlockNumberUpdated(l)
			if err != nil {
				return Event{}, err
			}
			if !e.Blocknumber.IsUint64() {
				return Event{}, fmt.Errorf("block number %s out of range", e.Blocknumber)
			}
			ev := quorumEvent(QuorumUpdated, e.QuorumNumber)
			ev.EffectBlock = e.Blocknumber.Uint64()
			return ev, nil
		}),
	)
}

func (d *decoder) addStakeRegistry(addr common.Address) error {
	a, err := stakeregistry.ContractStakeRegistryMetaData.GetAbi()
	if err != nil {
		return err
	}
	f, err := stakeregistry.NewContractStakeRegistryFilterer(addr, nil)
	if err != nil {
		return err
	}
	return errors.Join(
		d.add(addr, a, "StrategyAddedToQuorum", func(l types.Log) (Event, error) {
			e, err := f.ParseStrategyAddedToQuorum(l)
			if err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, e.QuorumNumber), nil
		}),
		d.add(addr, a, "StrategyRemovedFromQuorum", func(l types.Log) (Event, error) {
			e, err := f.ParseStrategyRemovedFromQuorum(l)
			if err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, e.QuorumNumber), nil
		}),
		d.add(addr, a, "StrategyMultiplierUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseStrategyMultiplierUpdated(l)
			if err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, e.QuorumNumber), nil
		}),
		d.add(addr, a, "MinimumStakeForQuorumUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseMinimumStakeForQuorumUpdated(l)
			if err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, e.QuorumNumber), nil
		}),
		d.add(addr, a, "QuorumCreated", func(l types.Log) (Event, error) {
			e, err := f.ParseQuorumCreated(l)
			if err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, e.QuorumNumber), nil
		}),
		// The lookahead is one value for the whole registry and names no quorum: NoQuorum here
		// means every slashable-stake quorum.
		d.add(addr, a, "LookAheadPeriodChanged", func(l types.Log) (Event, error) {
			if _, err := f.ParseLookAheadPeriodChanged(l); err != nil {
				return Event{}, err
			}
			return Event{Kind: QuorumConfigChanged, Quorum: NoQuorum}, nil
		}),
		d.add(addr, a, "OperatorStakeUpdate", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorStakeUpdate(l)
			if err != nil {
				return Event{}, err
			}
			return Event{Kind: StakeStored, OperatorID: e.OperatorId, Quorum: int(e.QuorumNumber)}, nil
		}),
	)
}

// addSignatureChecker follows a BLSSignatureChecker's switch of its stale-stakes rule.
func (d *decoder) addSignatureChecker(addr common.Address) error {
	a, err := sigchecker.ContractIBLSSignatureCheckerMetaData.GetAbi()
	if err != nil {
		return err
	}
	f, err := sigchecker.NewContractIBLSSignatureCheckerFilterer(addr, nil)
	if err != nil {
		return err
	}
	return d.add(addr, a, "StaleStakesForbiddenUpdate", func(l types.Log) (Event, error) {
		if _, err := f.ParseStaleStakesForbiddenUpdate(l); err != nil {
			return Event{}, err
		}
		return Event{Kind: StaleStakesRuleChanged, Quorum: NoQuorum}, nil
	})
}
