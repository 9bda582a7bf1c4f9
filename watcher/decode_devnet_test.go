package watcher

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// 6: the logs that real transactions leave on the deployed contracts decode into the expected
// Events. Each step acts on the devnet and returns the logs it produced: its receipt's, or, where
// the SDK returns no receipt, those of the blocks it took, read with the watcher's own filter.
func TestDecodeRealLogs(t *testing.T) {
	for _, flavor := range []devnet.Flavor{devnet.Slashing, devnet.M2} {
		t.Run(string(flavor), func(t *testing.T) {
			d := startDevnet(t, devnet.Options{Flavor: flavor, BlockTime: 50 * time.Millisecond, Accounts: 2})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			src := devnetSources(t, d)
			dec, err := newDecoder(src)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ethclient.Dial(d.HTTPURL)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			rc, err := regcoord.NewContractRegistryCoordinator(d.Addresses.RegistryCoordinator, c)
			if err != nil {
				t.Fatal(err)
			}
			owner, err := d.Actor(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer owner.Close()
			op, err := d.Actor(ctx, 3)
			if err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			staker, err := d.Actor(ctx, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer staker.Close()

			// inBlocks runs act and returns our logs of the blocks it spanned.
			inBlocks := func(act func() error) []types.Log {
				t.Helper()
				from, err := c.BlockNumber(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := act(); err != nil {
					t.Fatal(err)
				}
				to, err := c.BlockNumber(ctx)
				if err != nil {
					t.Fatal(err)
				}
				logs, err := c.FilterLogs(ctx, dec.query(from+1, to))
				if err != nil {
					t.Fatal(err)
				}
				return logs
			}
			receipt := func(r *types.Receipt, err error) []types.Log {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				var logs []types.Log
				for _, l := range r.Logs {
					logs = append(logs, *l)
				}
				return logs
			}
			operatorID := func() [32]byte {
				t.Helper()
				id, err := rc.GetOperatorId(&bind.CallOpts{Context: ctx}, op.Address)
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			shares := func(name string, operator common.Address) Event {
				return Event{Kind: SharesChanged, Name: name, Operator: operator, Quorum: NoQuorum}
			}
			var id [32]byte
			var lastBlock uint64

			steps := []struct {
				name string
				act  func() []types.Log
				want func() []Event
			}{
				{"register as operator", func() []types.Log { return inBlocks(func() error { return op.RegisterOperator(ctx) }) },
					func() []Event { return []Event{shares("StakerDelegated", op.Address)} }},
				{"register with the AVS", func() []types.Log {
					logs := inBlocks(func() error { return op.RegisterWithAVS(ctx, 0) })
					id = operatorID()
					return logs
				}, func() []Event {
					return []Event{
						{Kind: OperatorRegistered, Name: "OperatorRegistered", Operator: op.Address, OperatorID: id, Quorum: NoQuorum},
						{Kind: StakeStored, Name: "OperatorStakeUpdate", OperatorID: id, Quorum: 0},
					}
				}},
				{"deposit", func() []types.Log { return receipt(op.Deposit(ctx, big.NewInt(1e18))) },
					func() []Event { return []Event{shares("OperatorSharesIncreased", op.Address)} }},
				{"updateOperatorsForQuorum", func() []types.Log {
					ops, err := d.QuorumOperators(ctx, 0)
					if err != nil {
						t.Fatal(err)
					}
					slices.SortFunc(ops, func(a, b common.Address) int { return a.Cmp(b) })
					r, err := owner.UpdateOperatorsForQuorum(ctx, [][]common.Address{ops}, []uint8{0})
					if err == nil {
						lastBlock = r.BlockNumber.Uint64()
					}
					return receipt(r, err)
				}, func() []Event {
					return []Event{
						{Kind: QuorumUpdated, Name: "QuorumBlockNumberUpdated", Quorum: 0, EffectBlock: lastBlock},
						{Kind: StakeStored, Name: "OperatorStakeUpdate", OperatorID: id, Quorum: 0},
					}
				}},
				{"a staker delegates", func() []types.Log {
					if _, err := staker.Deposit(ctx, big.NewInt(2e18)); err != nil {
						t.Fatal(err)
					}
					return inBlocks(func() error { return staker.DelegateTo(ctx, op.Address) })
				}, func() []Event {
					return []Event{shares("StakerDelegated", op.Address), shares("OperatorSharesIncreased", op.Address)}
				}},
				{"updateOperators", func() []types.Log { return receipt(owner.UpdateOperators(ctx, []common.Address{op.Address})) },
					func() []Event {
						return []Event{{Kind: StakeStored, Name: "OperatorStakeUpdate", OperatorID: id, Quorum: 0}}
					}},
				{"the staker undelegates", func() []types.Log { return inBlocks(func() error { return staker.Undelegate(ctx) }) },
					func() []Event {
						return []Event{shares("StakerUndelegated", op.Address), shares("OperatorSharesDecreased", op.Address)}
					}},
				{"set the minimum stake", func() []types.Log {
					return inBlocks(func() error { return owner.SetMinimumStake(ctx, 0, big.NewInt(1)) })
				}, func() []Event {
					return []Event{{Kind: QuorumConfigChanged, Name: "MinimumStakeForQuorumUpdated", Quorum: 0}}
				}},
				{"deregister from the AVS", func() []types.Log { return inBlocks(func() error { return op.DeregisterFromAVS(ctx, 0) }) },
					func() []Event {
						return []Event{{Kind: OperatorDeregistered, Name: "OperatorDeregistered", Operator: op.Address, OperatorID: id, Quorum: NoQuorum}}
					}},
			}
			if flavor == devnet.Slashing {
				var quorum uint8
				steps = append(steps, struct {
					name string
					act  func() []types.Log
					want func() []Event
				}{"create a quorum", func() []types.Log {
					return inBlocks(func() error {
						var err error
						quorum, err = owner.CreateQuorum(ctx, big.NewInt(0))
						return err
					})
				}, func() []Event {
					q := int(quorum)
					return []Event{
						{Kind: QuorumConfigChanged, Name: "QuorumCreated", Quorum: q},
						{Kind: QuorumConfigChanged, Name: "StrategyAddedToQuorum", Quorum: q},
						{Kind: QuorumConfigChanged, Name: "MinimumStakeForQuorumUpdated", Quorum: q},
					}
				}})
			}

			for _, s := range steps {
				logs := s.act()
				var got []Event
				for _, l := range logs {
					if _, ours := dec.byAddr[l.Address][l.Topics[0]]; !ours {
						continue // the node's filter would not have sent it
					}
					ev, err := dec.decode(l)
					if errors.Is(err, errNotOurs) {
						continue
					}
					if err != nil {
						t.Fatalf("%s: %v", s.name, err)
					}
					if ev.Block != l.BlockNumber || ev.TxHash != l.TxHash || ev.LogIndex != l.Index {
						t.Fatalf("%s: event %+v does not locate its log", s.name, ev)
					}
					ev.Block, ev.TxHash, ev.LogIndex = 0, common.Hash{}, 0
					got = append(got, ev)
				}
				for _, want := range s.want() {
					if !slices.Contains(got, want) {
						t.Errorf("%s: no %+v among %+v", s.name, want, got)
					}
				}
				t.Logf("%s: %d events", s.name, len(got))
			}
		})
	}
}
