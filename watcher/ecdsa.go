package watcher

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/avs-sync/avs-sync/bindings/ecdsastakeregistry"
)

// addECDSAStakeRegistry follows an ECDSAStakeRegistry: registrations, changes of its quorum and
// minimum weight (which change what every operator's update would store), and stored weights.
// Its threshold, total weight and signing key events change no operator's weight and are not
// read.
func (d *decoder) addECDSAStakeRegistry(addr common.Address) error {
	a, err := ecdsastakeregistry.ECDSAStakeRegistryMetaData.GetAbi()
	if err != nil {
		return err
	}
	f, err := ecdsastakeregistry.NewECDSAStakeRegistryFilterer(addr, nil)
	if err != nil {
		return err
	}
	// The registry has one quorum, planned as quorum 0.
	const quorum = 0
	return errors.Join(
		d.add(addr, a, "OperatorRegistered", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorRegistered(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(OperatorRegistered, e.Operator), nil
		}),
		d.add(addr, a, "OperatorDeregistered", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorDeregistered(l)
			if err != nil {
				return Event{}, err
			}
			return operatorEvent(OperatorDeregistered, e.Operator), nil
		}),
		d.add(addr, a, "QuorumUpdated", func(l types.Log) (Event, error) {
			if _, err := f.ParseQuorumUpdated(l); err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, quorum), nil
		}),
		d.add(addr, a, "MinimumWeightUpdated", func(l types.Log) (Event, error) {
			if _, err := f.ParseMinimumWeightUpdated(l); err != nil {
				return Event{}, err
			}
			return quorumEvent(QuorumConfigChanged, quorum), nil
		}),
		d.add(addr, a, "OperatorWeightUpdated", func(l types.Log) (Event, error) {
			e, err := f.ParseOperatorWeightUpdated(l)
			if err != nil {
				return Event{}, err
			}
			return Event{Kind: StakeStored, Operator: e.Operator, Quorum: quorum}, nil
		}),
	)
}
