package watcher

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	allocationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/AllocationManager"
	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	sigchecker "github.com/Layr-Labs/eigensdk-go/contracts/bindings/IBLSSignatureChecker"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

var (
	testDM   = common.HexToAddress("0xd1")
	testAM   = common.HexToAddress("0xa1")
	testRC   = common.HexToAddress("0xc1")
	testSR   = common.HexToAddress("0x51")
	testAVS  = common.HexToAddress("0xa5")
	testOp   = common.HexToAddress("0x0b")
	testID   = common.HexToHash("0x1d")
	testAddr = common.HexToAddress("0x77")
	testSC   = common.HexToAddress("0x5c")
)

func testSources() Sources {
	return Sources{DelegationManager: testDM, AllocationManager: testAM, RegistryCoordinator: testRC, StakeRegistry: testSR, AVS: testAVS,
		SignatureCheckers: []common.Address{testSC}}
}

func mustABI(t testing.TB, get func() (*abi.ABI, error)) *abi.ABI {
	t.Helper()
	a, err := get()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// synthLog encodes event name of a with args (in declaration order) as a log of addr, the way the
// EVM would.
func synthLog(t testing.TB, a *abi.ABI, addr common.Address, name string, args ...any) types.Log {
	t.Helper()
	ev, ok := a.Events[name]
	if !ok {
		t.Fatalf("no event %s", name)
	}
	if len(args) != len(ev.Inputs) {
		t.Fatalf("%s takes %d arguments, got %d", name, len(ev.Inputs), len(args))
	}
	topics := []common.Hash{ev.ID}
	var data []any
	for i, in := range ev.Inputs {
		if !in.Indexed {
			data = append(data, args[i])
			continue
		}
		tt, err := abi.MakeTopics([]any{args[i]})
		if err != nil {
			t.Fatalf("%s topic %s: %v", name, in.Name, err)
		}
		topics = append(topics, tt[0][0])
	}
	packed, err := ev.Inputs.NonIndexed().Pack(data...)
	if err != nil {
		t.Fatalf("%s data: %v", name, err)
	}
	return types.Log{Address: addr, Topics: topics, Data: packed, BlockNumber: 7, TxHash: common.HexToHash("0x7a"), Index: 3}
}

func TestDecodeEveryEvent(t *testing.T) {
	dmABI := mustABI(t, delegationmanager.ContractDelegationManagerMetaData.GetAbi)
	amABI := mustABI(t, allocationmanager.ContractAllocationManagerMetaData.GetAbi)
	rcABI := mustABI(t, regcoord.ContractRegistryCoordinatorMetaData.GetAbi)
	srABI := mustABI(t, stakeregistry.ContractStakeRegistryMetaData.GetAbi)
	scABI := mustABI(t, sigchecker.ContractIBLSSignatureCheckerMetaData.GetAbi)
	ours := allocationmanager.OperatorSet{Avs: testAVS, Id: 2}
	theirs := allocationmanager.OperatorSet{Avs: testAddr, Id: 2}
	one := big.NewInt(1)
	opParams := regcoord.ISlashingRegistryCoordinatorTypesOperatorSetParam{MaxOperatorCount: 10, KickBIPsOfOperatorStake: 1, KickBIPsOfTotalStake: 1}
	shares := Event{Kind: SharesChanged, Operator: testOp, Quorum: NoQuorum}
	quorum := func(k Kind, q int) Event { return Event{Kind: k, Quorum: q} }

	tests := []struct {
		name string
		log  types.Log
		want Event
		err  error // errNotOurs, or any non-nil for "fails"
	}{
		{"OperatorSharesIncreased", synthLog(t, dmABI, testDM, "OperatorSharesIncreased", testOp, testAddr, testAddr, one), shares, nil},
		{"OperatorSharesDecreased", synthLog(t, dmABI, testDM, "OperatorSharesDecreased", testOp, testAddr, testAddr, one), shares, nil},
		{"OperatorSharesSlashed", synthLog(t, dmABI, testDM, "OperatorSharesSlashed", testOp, testAddr, one), shares, nil},
		{"StakerDelegated", synthLog(t, dmABI, testDM, "StakerDelegated", testAddr, testOp), shares, nil},
		{"StakerUndelegated", synthLog(t, dmABI, testDM, "StakerUndelegated", testAddr, testOp), shares, nil},
		{"StakerForceUndelegated", synthLog(t, dmABI, testDM, "StakerForceUndelegated", testAddr, testOp), shares, nil},
		{"AllocationUpdated", synthLog(t, amABI, testAM, "AllocationUpdated", testOp, ours, testAddr, uint64(5), uint32(1234)),
			Event{Kind: AllocationChanged, Operator: testOp, Quorum: 2, EffectBlock: 1234}, nil},
		{"AllocationUpdated/other AVS", synthLog(t, amABI, testAM, "AllocationUpdated", testOp, theirs, testAddr, uint64(5), uint32(1234)), Event{}, errNotOurs},
		{"OperatorSlashed", synthLog(t, amABI, testAM, "OperatorSlashed", testOp, theirs, []common.Address{testAddr}, []*big.Int{one}, "why"), shares, nil},
		{"MaxMagnitudeUpdated", synthLog(t, amABI, testAM, "MaxMagnitudeUpdated", testOp, testAddr, uint64(9)), shares, nil},
		{"EncumberedMagnitudeUpdated", synthLog(t, amABI, testAM, "EncumberedMagnitudeUpdated", testOp, testAddr, uint64(9)), shares, nil},
		{"OperatorRegistered", synthLog(t, rcABI, testRC, "OperatorRegistered", testOp, [32]byte(testID)),
			Event{Kind: OperatorRegistered, Operator: testOp, OperatorID: testID, Quorum: NoQuorum}, nil},
		{"OperatorDeregistered", synthLog(t, rcABI, testRC, "OperatorDeregistered", testOp, [32]byte(testID)),
			Event{Kind: OperatorDeregistered, Operator: testOp, OperatorID: testID, Quorum: NoQuorum}, nil},
		{"QuorumCreated", synthLog(t, rcABI, testRC, "QuorumCreated", uint8(3), opParams, one,
			[]regcoord.IStakeRegistryTypesStrategyParams{{Strategy: testAddr, Multiplier: one}}, uint8(1), uint32(10)),
			quorum(QuorumConfigChanged, 3), nil},
		{"OperatorSetParamsUpdated", synthLog(t, rcABI, testRC, "OperatorSetParamsUpdated", uint8(4), opParams), quorum(QuorumConfigChanged, 4), nil},
		{"QuorumBlockNumberUpdated", synthLog(t, rcABI, testRC, "QuorumBlockNumberUpdated", uint8(1), big.NewInt(99)),
			Event{Kind: QuorumUpdated, Quorum: 1, EffectBlock: 99}, nil},
		{"StrategyAddedToQuorum", synthLog(t, srABI, testSR, "StrategyAddedToQuorum", uint8(5), testAddr), quorum(QuorumConfigChanged, 5), nil},
		{"StrategyRemovedFromQuorum", synthLog(t, srABI, testSR, "StrategyRemovedFromQuorum", uint8(5), testAddr), quorum(QuorumConfigChanged, 5), nil},
		{"StrategyMultiplierUpdated", synthLog(t, srABI, testSR, "StrategyMultiplierUpdated", uint8(6), testAddr, one), quorum(QuorumConfigChanged, 6), nil},
		{"MinimumStakeForQuorumUpdated", synthLog(t, srABI, testSR, "MinimumStakeForQuorumUpdated", uint8(7), one), quorum(QuorumConfigChanged, 7), nil},
		{"QuorumCreated#stake registry", synthLog(t, srABI, testSR, "QuorumCreated", uint8(8)), quorum(QuorumConfigChanged, 8), nil},
		{"LookAheadPeriodChanged", synthLog(t, srABI, testSR, "LookAheadPeriodChanged", uint32(1), uint32(2)), quorum(QuorumConfigChanged, NoQuorum), nil},
		{"OperatorStakeUpdate", synthLog(t, srABI, testSR, "OperatorStakeUpdate", [32]byte(testID), uint8(9), one),
			Event{Kind: StakeStored, OperatorID: testID, Quorum: 9}, nil},
		{"StaleStakesForbiddenUpdate", synthLog(t, scABI, testSC, "StaleStakesForbiddenUpdate", true), quorum(StaleStakesRuleChanged, NoQuorum), nil},
		{"StaleStakesForbiddenUpdate at the service manager not named", synthLog(t, scABI, testRC, "StaleStakesForbiddenUpdate", true), Event{}, errAny},
		// An event of one contract at another's address, and an event the watcher ignores.
		{"OperatorStakeUpdate at the DelegationManager", synthLog(t, srABI, testDM, "OperatorStakeUpdate", [32]byte(testID), uint8(9), one), Event{}, errAny},
		{"OperatorMetadataURIUpdated", synthLog(t, dmABI, testDM, "OperatorMetadataURIUpdated", testOp, "uri"), Event{}, errAny},
		{"truncated data", func() types.Log {
			l := synthLog(t, dmABI, testDM, "OperatorSharesIncreased", testOp, testAddr, testAddr, one)
			l.Data = l.Data[:40]
			return l
		}(), Event{}, errAny},
		{"no topics", types.Log{Address: testDM}, Event{}, errAny},
	}
	d, err := newDecoder(testSources())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.decode(tc.log)
			switch {
			case tc.err == errAny:
				if err == nil || errors.Is(err, errNotOurs) {
					t.Fatalf("decode = %+v, %v; want a decoding error", got, err)
				}
				return
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("decode error = %v, want %v", err, tc.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			want := tc.want
			want.Name, _, _ = strings.Cut(tc.name, "#")
			want.Block, want.TxHash, want.LogIndex = 7, common.HexToHash("0x7a"), 3
			if got != want {
				t.Fatalf("decode =\n  %+v\nwant\n  %+v", got, want)
			}
		})
	}
}

// errAny stands for "some decoding error" in the table.
var errAny = errors.New("any decoding error")

func TestDecoderFilter(t *testing.T) {
	d, err := newDecoder(testSources())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.addresses) != 5 {
		t.Fatalf("addresses = %v, want the 5 sources", d.addresses)
	}
	// 6 DelegationManager + 4 AllocationManager + 6 RegistryCoordinator + 7 StakeRegistry events
	// + the signature checker's StaleStakesForbiddenUpdate.
	if len(d.topics) != 24 {
		t.Fatalf("%d topics, want 24", len(d.topics))
	}
	q := d.query(10, 20)
	if q.FromBlock.Uint64() != 10 || q.ToBlock.Uint64() != 20 || len(q.Topics) != 1 || q.BlockHash != nil {
		t.Fatalf("range query = %+v", q)
	}

	// Pre-slashing: no AllocationManager, no AVS needed.
	m2 := testSources()
	m2.AllocationManager, m2.AVS = common.Address{}, common.Address{}
	d, err = newDecoder(m2)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.addresses) != 4 || len(d.topics) != 20 {
		t.Fatalf("pre-slashing filter: %d addresses, %d topics; want 4, 20", len(d.addresses), len(d.topics))
	}

	noAVS := testSources()
	noAVS.AVS = common.Address{}
	if _, err := newDecoder(noAVS); err == nil {
		t.Fatal("an AllocationManager without an AVS address was accepted")
	}
	if _, err := newDecoder(Sources{}); err == nil {
		t.Fatal("no sources was accepted")
	}
}

// After RegistryCoordinator.setAVS, allocation events of the new AVS are ours and the old one's
// are not, from the AVSUpdated log on.
func TestAVSUpdatedSwitchesTheAllocationFilter(t *testing.T) {
	amABI := mustABI(t, allocationmanager.ContractAllocationManagerMetaData.GetAbi)
	rcABI := mustABI(t, regcoord.ContractRegistryCoordinatorMetaData.GetAbi)
	newAVS := common.HexToAddress("0xa6")
	alloc := func(avs common.Address) types.Log {
		return synthLog(t, amABI, testAM, "AllocationUpdated", testOp, allocationmanager.OperatorSet{Avs: avs, Id: 1}, testAddr, uint64(5), uint32(99))
	}
	d, err := newDecoder(testSources())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.decode(alloc(newAVS)); !errors.Is(err, errNotOurs) {
		t.Fatalf("the new AVS's allocation before the switch: %v, want errNotOurs", err)
	}
	ev, err := d.decode(synthLog(t, rcABI, testRC, "AVSUpdated", testAVS, newAVS))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != AVSChanged || ev.AVS != newAVS || ev.PrevAVS != testAVS || ev.Name != "AVSUpdated" {
		t.Fatalf("AVSUpdated decoded as %+v", ev)
	}
	if ev, err := d.decode(alloc(newAVS)); err != nil || ev.Kind != AllocationChanged {
		t.Fatalf("the new AVS's allocation after the switch: %+v, %v", ev, err)
	}
	if _, err := d.decode(alloc(testAVS)); !errors.Is(err, errNotOurs) {
		t.Fatalf("the old AVS's allocation after the switch: %v, want errNotOurs", err)
	}
}
