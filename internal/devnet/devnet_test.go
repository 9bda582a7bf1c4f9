package devnet_test

import (
	"context"
	"math/big"
	"sort"
	"testing"
	"time"

	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

func start(t *testing.T, opts devnet.Options) *devnet.Devnet {
	t.Helper()
	began := time.Now()
	d := devnet.StartForTest(t, opts)
	t.Logf("devnet (%s) started in %v: http %s ws %s", d.Flavor, time.Since(began).Round(time.Millisecond), d.HTTPURL, d.WSURL)
	return d
}

func TestDevnetChain(t *testing.T) {
	for _, f := range []devnet.Flavor{devnet.Slashing, devnet.M2} {
		t.Run(string(f), func(t *testing.T) {
			d := start(t, devnet.Options{Flavor: f, BlockTime: 50 * time.Millisecond})
			ctx := context.Background()
			c, err := ethclient.Dial(d.HTTPURL)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			id, err := c.ChainID(ctx)
			if err != nil || id.Int64() != devnet.ChainID {
				t.Fatalf("chain id = %v, %v; want %d", id, err, devnet.ChainID)
			}
			head, err := c.BlockNumber(ctx)
			if err != nil || head <= 0x1bc-10 {
				t.Fatalf("head = %d, %v; want past the anvil state's block", head, err)
			}
			rc, err := regcoord.NewContractRegistryCoordinator(d.Addresses.RegistryCoordinator, c)
			if err != nil {
				t.Fatal(err)
			}
			n, err := rc.QuorumCount(&bind.CallOpts{Context: ctx})
			if err != nil || n == 0 {
				t.Fatalf("quorumCount = %d, %v", n, err)
			}
		})
	}
}

// TestStaleStakeThenUpdate is the problem avs-sync exists for, on a real chain: a deposit moves an
// operator's weight, the stored stake stays behind until updateOperators.
func TestStaleStakeThenUpdate(t *testing.T) {
	d := start(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ops := make([]*devnet.Actor, 3)
	for i := range ops {
		a, err := d.Actor(ctx, 3+i)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.RegisterOperator(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.RegisterWithAVS(ctx, 0); err != nil {
			t.Fatal(err)
		}
		ops[i] = a
	}
	op := ops[0]
	stored0, weight0, err := d.Stakes(ctx, op.Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	if stored0.Cmp(weight0) != 0 {
		t.Fatalf("fresh registration: stored %s != weight %s", stored0, weight0)
	}

	amount := big.NewInt(3e18)
	if _, err := op.Deposit(ctx, amount); err != nil {
		t.Fatal(err)
	}
	stored1, weight1, err := d.Stakes(ctx, op.Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := new(big.Int).Add(weight0, amount); weight1.Cmp(want) != 0 {
		t.Fatalf("weight after deposit = %s, want %s", weight1, want)
	}
	if stored1.Cmp(stored0) != 0 {
		t.Fatalf("stored stake moved without an update: %s -> %s", stored0, stored1)
	}

	owner, err := d.Actor(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	r, err := owner.UpdateOperators(ctx, []common.Address{op.Address})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("updateOperators([1 operator]) gas used: %d", r.GasUsed)

	c, err := ethclient.Dial(d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, _ := regcoord.NewContractRegistryCoordinator(d.Addresses.RegistryCoordinator, c)
	srAddr, err := rc.StakeRegistry(&bind.CallOpts{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	sr, _ := stakeregistry.NewContractStakeRegistryFilterer(srAddr, c)
	var seen *stakeregistry.ContractStakeRegistryOperatorStakeUpdate
	for _, l := range r.Logs {
		if ev, err := sr.ParseOperatorStakeUpdate(*l); err == nil {
			seen = ev
		}
	}
	if seen == nil {
		t.Fatal("no OperatorStakeUpdate in the updateOperators receipt")
	}
	if seen.Stake.Cmp(weight1) != 0 || seen.QuorumNumber != 0 {
		t.Fatalf("OperatorStakeUpdate{quorum %d, stake %s}, want quorum 0 stake %s", seen.QuorumNumber, seen.Stake, weight1)
	}
	stored2, _, err := d.Stakes(ctx, op.Address, 0)
	if err != nil {
		t.Fatal(err)
	}
	if stored2.Cmp(weight1) != 0 {
		t.Fatalf("stored after update = %s, want %s", stored2, weight1)
	}

	// The whole quorum, ascending by address, as updateOperatorsForQuorum requires.
	all, err := operatorsOfQuorum(ctx, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err = owner.UpdateOperatorsForQuorum(ctx, [][]common.Address{all}, []uint8{0})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("updateOperatorsForQuorum reverted")
	}
	t.Logf("updateOperatorsForQuorum(quorum 0, %d operators) gas used: %d", len(all), r.GasUsed)
	upd, err := rc.QuorumUpdateBlockNumber(&bind.CallOpts{Context: ctx}, 0)
	if err != nil || upd.Uint64() != r.BlockNumber.Uint64() {
		t.Fatalf("quorumUpdateBlockNumber = %v, %v; want %d", upd, err, r.BlockNumber)
	}
}

func operatorsOfQuorum(ctx context.Context, d *devnet.Devnet, q uint8) ([]common.Address, error) {
	ops, err := d.QuorumOperators(ctx, q)
	if err != nil {
		return nil, err
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Cmp(ops[j]) < 0 })
	return ops, nil
}

// TestWebsocketLogs subscribes from a separate client over the devnet's websocket URL.
func TestWebsocketLogs(t *testing.T) {
	d := start(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ws, err := ethclient.DialContext(ctx, d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	dmABI, err := delegationmanager.ContractDelegationManagerMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	topic := dmABI.Events["OperatorSharesIncreased"].ID
	logs := make(chan types.Log, 16)
	sub, err := ws.SubscribeFilterLogs(ctx, ethereum.FilterQuery{
		Addresses: []common.Address{d.Addresses.DelegationManager},
		Topics:    [][]common.Hash{{topic}},
	}, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	op, err := d.Actor(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if err := op.RegisterOperator(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	f, _ := delegationmanager.NewContractDelegationManagerFilterer(d.Addresses.DelegationManager, ws)
	select {
	case l := <-logs:
		ev, err := f.ParseOperatorSharesIncreased(l)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Operator != op.Address || ev.Shares.Cmp(big.NewInt(1e18)) != 0 {
			t.Fatalf("OperatorSharesIncreased{operator %s, shares %s}, want %s, 1e18", ev.Operator, ev.Shares, op.Address)
		}
	case err := <-sub.Err():
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal("no OperatorSharesIncreased over websocket")
	}
}
