// Package e2e tests avs-sync end to end: the real watcher, planner, registry reader and submitter,
// wired as `avs-sync watch` wires them, against the devnet's real chain.
package e2e

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"math/big"
	"os"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
	"github.com/avs-sync/avs-sync/submitter"
	"github.com/avs-sync/avs-sync/syncer"
	"github.com/avs-sync/avs-sync/watcher"
)

const blockTime = 100 * time.Millisecond

// env is a devnet with operators registered in quorum 0 and a sender for avs-sync.
type env struct {
	t     *testing.T
	ctx   context.Context
	d     *devnet.Devnet
	eth   *ethclient.Client
	ops   []*devnet.Actor
	owner *devnet.Actor
	// senderKey is the key avs-sync sends with (anvil account 1).
	senderKey string
	sender    common.Address
	// watchBase and freshOf, when set, stand in for the RegistryCoordinator's flags of
	// startWatch and for fresh: another kind of registry (the ECDSA devnet).
	watchBase func(httpURL string) []string
	freshOf   func(op common.Address) bool
}

func newEnv(t *testing.T, operators, extraAccounts int) *env {
	return newEnvOn(t, devnet.Slashing, operators, extraAccounts)
}

// newEnvOn is newEnv on the given deployment.
func newEnvOn(t *testing.T, flavor devnet.Flavor, operators, extraAccounts int) *env {
	t.Helper()
	return newEnvWith(t, devnet.Options{Flavor: flavor, BlockTime: blockTime, Accounts: operators + extraAccounts}, operators)
}

// newEnvWith is newEnv on a devnet started with opts.
func newEnvWith(t *testing.T, opts devnet.Options, operators int) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	d := devnet.StartForTest(t, opts)
	eth, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eth.Close)
	e := &env{t: t, ctx: ctx, d: d, eth: eth}
	if operators > 0 {
		if e.ops, err = d.RegisterOperators(ctx, 3, operators, 0); err != nil {
			t.Fatal(err)
		}
		for _, a := range e.ops {
			t.Cleanup(a.Close)
		}
	}
	if e.owner, err = d.Actor(ctx, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.owner.Close)
	key := d.Key(1)
	e.senderKey = hex.EncodeToString(crypto.FromECDSA(key))
	e.sender = crypto.PubkeyToAddress(key.PublicKey)
	return e
}

// daemonOpts are the knobs the tests turn; the rest is as `avs-sync watch` defaults.
type daemonOpts struct {
	debounce      time.Duration
	syncInterval  time.Duration
	stateDir      string
	poll          bool
	confirmations uint64
	// maxTxGas stands in for the per-transaction gas cap (0: the real one).
	maxTxGas uint64
	// sweepMode is what sweeps do ("": refresh).
	sweepMode planner.SweepMode
	// minStakeChange is --min-stake-change (0: every difference).
	minStakeChange float64
	// maxGasPerDay is --max-gas-per-day (0: unlimited).
	maxGasPerDay uint64
	// withdrawalDelay, when set, makes the AVS forbid stale stakes with this withdrawal delay in
	// blocks and deadlineMargin blocks of margin, as feature detection would on such an AVS.
	withdrawalDelay, deadlineMargin uint64
	// movedRegistries starts the reader and the watcher on StakeRegistry and IndexRegistry
	// addresses the coordinator does not point at, as after a repoint while the daemon was up.
	movedRegistries bool
}

// daemon is avs-sync running in-process.
type daemon struct {
	sy      *syncer.Syncer
	w       *watcher.Watcher
	reader  *registry.Reader
	reg     *prometheus.Registry
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

func (e *env) start(o daemonOpts) *daemon {
	e.t.Helper()
	dm := e.oneShot(o)
	runCtx, cancel := context.WithCancel(e.ctx)
	dm.cancel = cancel
	go func() { dm.done <- dm.sy.Watch(runCtx, dm.w) }()
	e.t.Cleanup(func() { dm.stop(e.t) })
	// Ready once the operators are loaded and the first head is through.
	e.waitFor("daemon started", 20*time.Second, func() bool { return dm.sy.Status().Started && dm.w.Status().Head > 0 })
	// The startup check of every registered operator runs first; tests act after it.
	e.waitFor("startup check done", 20*time.Second, func() bool { st := dm.sy.Status(); return st.Dirty == 0 && st.Processing == 0 })
	return dm
}

// oneShot builds avs-sync's parts without starting the daemon loop.
func (e *env) oneShot(o daemonOpts) *daemon {
	e.t.Helper()
	ctx := e.ctx
	log := testLogger(e.t)
	client, err := rpc.DialContext(ctx, e.d.HTTPURL)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(client.Close)
	eth := ethclient.NewClient(client)
	contracts, err := registry.Discover(ctx, client, registry.DiscoverConfig{
		RegistryCoordinator:      e.d.Addresses.RegistryCoordinator,
		OperatorStateRetriever:   e.d.Addresses.OperatorStateRetriever,
		ChainID:                  devnet.ChainID,
		DontUseAllocationManager: e.d.Flavor == devnet.M2,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	readFrom := contracts
	if o.movedRegistries {
		readFrom.StakeRegistry = common.HexToAddress("0x000000000000000000000000000000000000dEaD")
		readFrom.IndexRegistry = common.HexToAddress("0x000000000000000000000000000000000000bEEF")
	}
	reader, err := registry.NewReader(client, readFrom)
	if err != nil {
		e.t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	txm, from, err := submitter.NewTxManager(ctx, submitter.SignerConfig{PrivateKey: e.senderKey, ReceiptPollInterval: 20 * time.Millisecond},
		eth, big.NewInt(devnet.ChainID), log, reg)
	if err != nil {
		e.t.Fatal(err)
	}
	sub, err := submitter.New(submitter.Config{MaxTxGas: o.maxTxGas}, eth, txm, from, contracts, log, reg)
	if err != nil {
		e.t.Fatal(err)
	}
	head, err := eth.BlockNumber(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	wcfg := watcher.Config{
		HTTPURL: e.d.HTTPURL,
		WSURL:   e.d.WSURL,
		Sources: watcher.Sources{DelegationManager: contracts.DelegationManager, RegistryCoordinator: contracts.RegistryCoordinator,
			StakeRegistry: readFrom.StakeRegistry, AllocationManager: contracts.AllocationManager, AVS: contracts.AVS},
		Confirmations: o.confirmations,
		PollInterval:  blockTime,
		StateDir:      o.stateDir,
		StartBlock:    head + 1,
		ChainID:       devnet.ChainID,
		RetryMin:      50 * time.Millisecond,
		RetryMax:      500 * time.Millisecond,
	}
	if o.poll {
		wcfg.WSURL = ""
	}
	w, err := watcher.New(wcfg, log, reg)
	if err != nil {
		e.t.Fatal(err)
	}
	sy, err := syncer.New(syncer.Config{
		Planner: planner.Config{Debounce: o.debounce, SyncInterval: o.syncInterval, SweepMode: o.sweepMode,
			MinStakeChange: o.minStakeChange, StaleStakesForbidden: o.withdrawalDelay > 0, WithdrawalDelayBlocks: o.withdrawalDelay, DeadlineMargin: o.deadlineMargin},
		Retries:      3,
		MaxGasPerDay: o.maxGasPerDay,
		StateDir:     o.stateDir,
	}, reader, sub, eth, log, reg, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &daemon{sy: sy, w: w, reader: reader, reg: reg, done: make(chan error, 1)}
}

func (dm *daemon) stop(t *testing.T) {
	if dm.stopped || dm.cancel == nil {
		return
	}
	dm.stopped = true
	dm.cancel()
	select {
	case err := <-dm.done:
		if err != nil {
			t.Errorf("daemon: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("daemon did not stop within 30 s")
	}
}

// waitFor checks cond at every block until it holds or timeout passes.
func (e *env) waitFor(what string, timeout time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(blockTime / 2)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			e.t.Fatalf("timed out after %v waiting for: %s", timeout, what)
		case <-e.ctx.Done():
			e.t.Fatalf("%s: %v", what, e.ctx.Err())
		case <-tick.C:
		}
	}
}

// waitBlocks returns once the chain has advanced n blocks.
func (e *env) waitBlocks(n uint64) uint64 {
	e.t.Helper()
	start := e.head()
	var now uint64
	e.waitFor("blocks to pass", time.Duration(n+20)*blockTime*4, func() bool {
		now = e.head()
		return now >= start+n
	})
	return now
}

func (e *env) head() uint64 {
	e.t.Helper()
	h, err := e.eth.BlockNumber(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// fresh reports whether op's stored stake in quorum 0 equals its weight.
func (e *env) fresh(op common.Address) bool {
	e.t.Helper()
	if e.freshOf != nil {
		return e.freshOf(op)
	}
	stored, weight, err := e.d.Stakes(e.ctx, op, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return stored.Cmp(weight) == 0
}

// sent is the number of transactions avs-sync's sender has sent so far.
func (e *env) sent() uint64 {
	e.t.Helper()
	n, err := e.eth.NonceAt(e.ctx, e.sender, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// stakeUpdates returns the blocks with an OperatorStakeUpdate for op from block from on.
func (e *env) stakeUpdates(op common.Address, from uint64) []uint64 {
	e.t.Helper()
	id, err := e.operatorID(op)
	if err != nil {
		e.t.Fatal(err)
	}
	srABI, _ := stakeregistry.ContractStakeRegistryMetaData.GetAbi()
	return e.logBlocks(e.stakeRegistry(), from, srABI.Events["OperatorStakeUpdate"].ID, id)
}

// logBlocks returns the blocks of contract's logs with topics event and arg from block from on.
func (e *env) logBlocks(contract common.Address, from uint64, event, arg common.Hash) []uint64 {
	e.t.Helper()
	logs, err := e.eth.FilterLogs(e.ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from),
		Addresses: []common.Address{contract},
		Topics:    [][]common.Hash{{event}, {arg}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var blocks []uint64
	for _, l := range logs {
		blocks = append(blocks, l.BlockNumber)
	}
	return blocks
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() || os.Getenv("AVS_SYNC_TEST_LOGS") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// receiptBlock is the block of a receipt.
func receiptBlock(r *types.Receipt) uint64 { return r.BlockNumber.Uint64() }

// newProxy starts a fault-injecting proxy in front of the devnet's HTTP and websocket endpoints,
// closed when the test ends.
func (e *env) newProxy() *rpcproxy.Proxy {
	e.t.Helper()
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { p.Close() })
	return p
}

// methodOfNonce names the RegistryCoordinator method the sender's mined transaction of nonce n
// calls.
func (e *env) methodOfNonce(n uint64) string {
	e.t.Helper()
	r := e.receiptOfNonce(n)
	tx, _, err := e.eth.TransactionByHash(e.ctx, r.TxHash)
	if err != nil {
		e.t.Fatal(err)
	}
	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		e.t.Fatal(err)
	}
	if len(tx.Data()) < 4 {
		return ""
	}
	m, err := rcABI.MethodById(tx.Data()[:4])
	if err != nil {
		return ""
	}
	return m.Name
}

func (e *env) coordinator() *regcoord.ContractRegistryCoordinator {
	e.t.Helper()
	rc, err := regcoord.NewContractRegistryCoordinator(e.d.Addresses.RegistryCoordinator, e.eth)
	if err != nil {
		e.t.Fatal(err)
	}
	return rc
}

func (e *env) operatorID(op common.Address) ([32]byte, error) {
	return e.coordinator().GetOperatorId(&bind.CallOpts{Context: e.ctx}, op)
}

func (e *env) stakeRegistry() common.Address {
	e.t.Helper()
	a, err := e.coordinator().StakeRegistry(&bind.CallOpts{Context: e.ctx})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// counter reads a counter or gauge from reg, matching the given label name/value pairs.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			if m.GetCounter() != nil {
				sum += m.GetCounter().GetValue()
			} else if m.GetGauge() != nil {
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// receiptOfNonce finds the receipt of avs-sync's transaction with nonce n, scanning recent blocks.
func (e *env) receiptOfNonce(n uint64) *types.Receipt {
	e.t.Helper()
	head := e.head()
	for b := head; b > 0 && b+200 > head; b-- {
		block, err := e.eth.BlockByNumber(e.ctx, new(big.Int).SetUint64(b))
		if err != nil {
			e.t.Fatal(err)
		}
		for _, tx := range block.Transactions() {
			from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
			if err == nil && from == e.sender && tx.Nonce() == n {
				r, err := e.eth.TransactionReceipt(e.ctx, tx.Hash())
				if err != nil {
					e.t.Fatal(err)
				}
				return r
			}
		}
	}
	e.t.Fatalf("no transaction with nonce %d from %s in the last 200 blocks", n, e.sender)
	return nil
}
