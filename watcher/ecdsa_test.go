package watcher

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/bindings/ecdsastakeregistry"
)

// The ECDSAStakeRegistry's events decode to the kinds the planner acts on, for quorum 0; the ones
// that change no weight are not in the filter.
func TestDecodeECDSAStakeRegistry(t *testing.T) {
	reg := common.HexToAddress("0xec")
	d, err := newDecoder(Sources{DelegationManager: testDM, ECDSAStakeRegistry: reg})
	if err != nil {
		t.Fatal(err)
	}
	a := mustABI(t, ecdsastakeregistry.ECDSAStakeRegistryMetaData.GetAbi)
	quorum := ecdsastakeregistry.ECDSAStakeRegistryQuorum{Strategies: []ecdsastakeregistry.ECDSAStakeRegistryStrategyParams{{Strategy: testAddr, Multiplier: big.NewInt(10000)}}}
	for _, tc := range []struct {
		event  string
		args   []any
		kind   Kind
		op     common.Address
		quorum int
	}{
		{"OperatorRegistered", []any{testOp, testAVS}, OperatorRegistered, testOp, NoQuorum},
		{"OperatorDeregistered", []any{testOp, testAVS}, OperatorDeregistered, testOp, NoQuorum},
		{"QuorumUpdated", []any{quorum, quorum}, QuorumConfigChanged, common.Address{}, 0},
		{"MinimumWeightUpdated", []any{big.NewInt(1), big.NewInt(2)}, QuorumConfigChanged, common.Address{}, 0},
		{"OperatorWeightUpdated", []any{testOp, big.NewInt(1), big.NewInt(2)}, StakeStored, testOp, 0},
	} {
		ev, err := d.decode(synthLog(t, a, reg, tc.event, tc.args...))
		if err != nil {
			t.Fatalf("%s: %v", tc.event, err)
		}
		if ev.Kind != tc.kind || ev.Operator != tc.op || ev.Quorum != tc.quorum {
			t.Errorf("%s decoded as %+v; want kind %v, operator %s, quorum %d", tc.event, ev, tc.kind, tc.op, tc.quorum)
		}
	}
	for _, name := range []string{"ThresholdWeightUpdated", "TotalWeightUpdated", "SigningKeyUpdate"} {
		for _, topic := range d.topics {
			if topic == a.Events[name].ID {
				t.Errorf("%s is in the filter: it changes no operator's weight", name)
			}
		}
	}
}
