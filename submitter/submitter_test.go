package submitter_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/registry"
	"github.com/avs-sync/avs-sync/submitter"
)

// senderKey is the devnet key the submitter signs with: a funded anvil account that is neither
// the AVS owner nor an operator.
const senderKey = 2

// env is a devnet with registered operators and a submitter.
type env struct {
	d      *devnet.Devnet
	ops    []*devnet.Actor
	client *ethclient.Client
	c      registry.Contracts
	reader *registry.Reader
	sub    *submitter.Submitter
	sender common.Address
	reg    *prometheus.Registry
}

func newEnv(t *testing.T, operators int, cfg submitter.Config) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	d := devnet.StartForTest(t, devnet.Options{BlockTime: 50 * time.Millisecond, Accounts: operators})
	ops, err := d.RegisterOperators(ctx, 3, operators, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, a := range ops {
			a.Close()
		}
	})
	slices.SortFunc(ops, func(a, b *devnet.Actor) int { return a.Address.Cmp(b.Address) })

	client, err := ethclient.Dial(d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	c, err := registry.Discover(ctx, client.Client(), registry.DiscoverConfig{
		RegistryCoordinator:    d.Addresses.RegistryCoordinator,
		OperatorStateRetriever: d.Addresses.OperatorStateRetriever,
		ChainID:                devnet.ChainID,
	})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := registry.NewReader(client.Client(), c)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	txm, sender, err := submitter.NewTxManager(ctx, submitter.SignerConfig{
		PrivateKey:          hex.EncodeToString(crypto.FromECDSA(d.Key(senderKey))),
		ReceiptPollInterval: 20 * time.Millisecond,
		BumpAfter:           10 * time.Second,
	}, client, big.NewInt(devnet.ChainID), log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sender != crypto.PubkeyToAddress(d.Key(senderKey).PublicKey) {
		t.Fatalf("sender %s", sender)
	}
	reg := prometheus.NewRegistry()
	sub, err := submitter.New(cfg, client, txm, sender, c, log, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("devnet with %d operators and a submitter ready in %v", operators, time.Since(began).Round(time.Millisecond))
	return &env{d: d, ops: ops, client: client, c: c, reader: reader, sub: sub, sender: sender, reg: reg}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (e *env) addresses(actors []*devnet.Actor) []common.Address {
	out := make([]common.Address, len(actors))
	for i, a := range actors {
		out[i] = a.Address
	}
	return out
}

// stakes reads stored stake and weight in quorum 0 of each operator.
func (e *env) stakes(t *testing.T, ctx context.Context, ops []common.Address) []planner.QuorumStake {
	t.Helper()
	got, err := e.reader.OperatorStakes(ctx, ops, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]planner.QuorumStake, len(got))
	for i, s := range got {
		if !s.Registered || len(s.Quorums) != 1 {
			t.Fatalf("operator %s: %+v", s.Operator, s)
		}
		out[i] = s.Quorums[0]
	}
	return out
}

func TestSubmit(t *testing.T) {
	e := newEnv(t, 3, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := e.addresses(e.ops)

	t.Run("updateOperators", func(t *testing.T) {
		dirty := []*devnet.Actor{e.ops[0], e.ops[2]}
		if err := devnet.DepositAll(ctx, dirty, big.NewInt(1e18)); err != nil {
			t.Fatal(err)
		}
		before := e.stakes(t, ctx, all)
		if before[0].Stored.Cmp(before[0].Weight) == 0 || before[2].Stored.Cmp(before[2].Weight) == 0 || before[1].Stored.Cmp(before[1].Weight) != 0 {
			t.Fatalf("before: %+v", before)
		}
		plan := planner.Plan{Operators: e.addresses(dirty), Reason: "dirty"}
		res, err := e.sub.Submit(ctx, plan)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Txs) != 1 || res.Txs[0].Status != types.ReceiptStatusSuccessful || res.Txs[0].Tx.Kind != submitter.KindUpdateOperators {
			t.Fatalf("result %+v", res)
		}
		t.Logf("updateOperators(2 operators): gas used %d, estimate %d", res.Txs[0].GasUsed, res.Txs[0].Tx.GasEstimate)
		after := e.stakes(t, ctx, all)
		for _, i := range []int{0, 2} {
			if after[i].Stored.Cmp(after[i].Weight) != 0 || after[i].Weight.Cmp(before[i].Weight) != 0 {
				t.Fatalf("operator %d after update: stored %s weight %s", i, after[i].Stored, after[i].Weight)
			}
		}
		if after[1].Stored.Cmp(before[1].Stored) != 0 {
			t.Fatalf("operator 1 was not in the plan but its stake moved: %s -> %s", before[1].Stored, after[1].Stored)
		}
		updates := stakeUpdates(t, e, res.Txs[0].Receipt)
		for _, a := range dirty {
			if _, ok := updates[a.Address]; !ok {
				t.Fatalf("no OperatorStakeUpdate for %s in %v", a.Address, updates)
			}
		}
		if len(updates) != 2 {
			t.Fatalf("OperatorStakeUpdate for %d operators, want 2", len(updates))
		}
		if got := metric(t, e.reg, "avssync_operators_updated", "quorum", ""); got != 2 {
			t.Fatalf("operators_updated{quorum=\"\"} = %v, want 2", got)
		}
	})

	t.Run("sweep", func(t *testing.T) {
		if _, err := e.ops[1].Deposit(ctx, big.NewInt(5e17)); err != nil {
			t.Fatal(err)
		}
		head, err := e.client.BlockNumber(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sets, err := e.reader.QuorumOperators(ctx, []uint8{0}, head)
		if err != nil {
			t.Fatal(err)
		}
		plan := planner.Plan{Quorums: []planner.QuorumUpdate{{Quorum: 0, Operators: sets[0]}}, Block: head, Reason: "sweep"}
		res, err := e.sub.Submit(ctx, plan)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Txs) != 1 || res.Txs[0].Status != types.ReceiptStatusSuccessful {
			t.Fatalf("result %+v", res)
		}
		t.Logf("updateOperatorsForQuorum(quorum 0, %d operators): gas used %d, estimate %d", len(sets[0]), res.Txs[0].GasUsed, res.Txs[0].Tx.GasEstimate)
		qs, err := e.reader.Quorums(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if qs[0].UpdateBlock != res.Txs[0].Block {
			t.Fatalf("quorumUpdateBlockNumber(0) = %d, want the sweep's block %d", qs[0].UpdateBlock, res.Txs[0].Block)
		}
		for i, s := range e.stakes(t, ctx, all) {
			if s.Stored.Cmp(s.Weight) != 0 {
				t.Fatalf("operator %d after sweep: stored %s weight %s", i, s.Stored, s.Weight)
			}
		}
		if got := metric(t, e.reg, "avssync_update_stake_attempt", "status", "succeed", "quorum", "0"); got != 1 {
			t.Fatalf("update_stake_attempt{succeed,0} = %v", got)
		}
	})

	t.Run("incomplete quorum set", func(t *testing.T) {
		nonce, err := e.client.PendingNonceAt(ctx, e.sender)
		if err != nil {
			t.Fatal(err)
		}
		plan := planner.Plan{Quorums: []planner.QuorumUpdate{{Quorum: 0, Operators: all[:2]}}, Reason: "sweep"}
		res, err := e.sub.Submit(ctx, plan)
		if !errors.Is(err, submitter.ErrReverted) {
			t.Fatalf("err = %v, want ErrReverted", err)
		}
		t.Logf("incomplete set: %v", err)
		broadcast := 0
		for _, tr := range res.Txs {
			if tr.Outcome == submitter.Mined {
				t.Fatalf("a transaction succeeded: %+v", tr)
			}
			if tr.Hash != (common.Hash{}) {
				broadcast++
			}
		}
		if len(res.Txs) != 1 || res.Txs[0].Outcome != submitter.Reverted || !slices.Equal(res.Txs[0].Tx.Quorums, []uint8{0}) {
			t.Fatalf("result %+v, want the quorum 0 refresh reported as reverted", res.Txs)
		}
		after, err := e.client.PendingNonceAt(ctx, e.sender)
		if err != nil {
			t.Fatal(err)
		}
		if after != nonce+uint64(broadcast) {
			t.Fatalf("nonce %d -> %d with %d reverted transactions broadcast", nonce, after, broadcast)
		}
		if got := metric(t, e.reg, "avssync_tx_reverted_total"); got != 1 {
			t.Fatalf("tx_reverted_total = %v, want 1", got)
		}
		if got := metric(t, e.reg, "avssync_update_stake_attempt", "status", "error", "quorum", "0"); got != 1 {
			t.Fatalf("update_stake_attempt{error,0} = %v, want 1", got)
		}
	})
}

// One failing part of a plan does not block the others: a quorum refresh that reverts (its set is
// incomplete) is reported as such, and the stale operator of the same plan is still updated.
func TestSubmitIndependentParts(t *testing.T) {
	e := newEnv(t, 3, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := e.addresses(e.ops)
	if _, err := e.ops[1].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	plan := planner.Plan{
		Quorums:   []planner.QuorumUpdate{{Quorum: 0, Operators: all[:2]}},
		Operators: []common.Address{e.ops[1].Address},
		Reason:    "sweep",
	}
	res, err := e.sub.Submit(ctx, plan)
	if !errors.Is(err, submitter.ErrReverted) {
		t.Fatalf("err = %v, want ErrReverted for the quorum part", err)
	}
	if len(res.Txs) != 2 {
		t.Fatalf("%d parts reported, want 2: %+v", len(res.Txs), res.Txs)
	}
	q, ops := res.Txs[0], res.Txs[1]
	if q.Tx.Kind != submitter.KindUpdateOperatorsForQuorum || q.Outcome != submitter.Reverted || !errors.Is(q.Err, submitter.ErrReverted) {
		t.Fatalf("quorum part %+v, want reverted", q)
	}
	if ops.Tx.Kind != submitter.KindUpdateOperators || ops.Outcome != submitter.Mined || ops.Err != nil ||
		!slices.Equal(ops.Tx.Operators, []common.Address{e.ops[1].Address}) {
		t.Fatalf("operators part %+v, want operator 1 mined", ops)
	}
	if m := res.Mined(); len(m) != 1 || m[0].GasUsed == 0 {
		t.Fatalf("mined %+v", m)
	}
	if after := e.stakes(t, ctx, all); after[1].Stored.Cmp(after[1].Weight) != 0 {
		t.Fatalf("operator 1 still stale: stored %s weight %s", after[1].Stored, after[1].Weight)
	}
	t.Logf("quorum part: %v; operators part: gas used %d", q.Err, ops.GasUsed)
}

// TestSubmitMinedRevert sends through a transaction manager that gives transactions half their
// estimate, so that one is mined and runs out of gas.
func TestSubmitMinedRevert(t *testing.T) {
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	txm := halfGasTxManager{client: e.client, key: e.d.Key(senderKey)}
	sub, err := submitter.New(submitter.Config{}, e.client, txm, e.sender, e.c, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sub.Submit(ctx, planner.Plan{Operators: e.addresses(e.ops)})
	if !errors.Is(err, submitter.ErrReverted) {
		t.Fatalf("err = %v, want ErrReverted", err)
	}
	if len(res.Txs) != 1 || res.Txs[0].Status != types.ReceiptStatusFailed || res.Txs[0].Hash == (common.Hash{}) || res.Txs[0].Block == 0 {
		t.Fatalf("result %+v", res)
	}
	t.Logf("mined revert: %v", err)
	if got := metric(t, reg, "avssync_tx_reverted_total"); got != 1 {
		t.Fatalf("tx_reverted_total = %v, want 1", got)
	}
	if got := metric(t, reg, "avssync_transactions_total", "kind", submitter.KindUpdateOperators, "status", "reverted"); got != 1 {
		t.Fatalf("transactions_total{updateOperators,reverted} = %v, want 1", got)
	}
	if got := metric(t, reg, "avssync_update_stake_attempt", "status", "error", "quorum", ""); got != 1 {
		t.Fatalf("update_stake_attempt{error,\"\"} = %v, want 1", got)
	}
}

// halfGasTxManager signs and sends a transaction with half its gas estimate at the sender's next
// nonce and waits for it.
type halfGasTxManager struct {
	client *ethclient.Client
	key    *ecdsa.PrivateKey
}

func (m halfGasTxManager) Send(ctx context.Context, req submitter.TxRequest) (*types.Receipt, error) {
	chainID, err := m.client.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	head, err := m.client.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	nonce, err := m.client.PendingNonceAt(ctx, crypto.PubkeyToAddress(m.key.PublicKey))
	if err != nil {
		return nil, err
	}
	tip := big.NewInt(1e9)
	signed, err := types.SignNewTx(m.key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: tip,
		GasFeeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip),
		Gas:       req.GasEstimate / 2, To: &req.To, Data: req.Data,
	})
	if err != nil {
		return nil, err
	}
	if err := m.client.SendTransaction(ctx, signed); err != nil {
		return nil, err
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		if r, err := m.client.TransactionReceipt(ctx, signed.Hash()); err == nil {
			return r, nil
		}
	}
}

func TestGasSplitting(t *testing.T) {
	const budget = 800_000
	e := newEnv(t, 6, submitter.Config{GasBudget: budget})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := devnet.DepositAll(ctx, e.ops, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	all := e.addresses(e.ops)

	one, err := e.sub.Build(ctx, planner.Plan{Operators: all[:1]})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("updateOperators(1 operator): estimate %d", one[0].GasEstimate)

	plan := planner.Plan{Operators: all, Reason: "dirty"}
	txs, err := e.sub.Build(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) < 2 {
		t.Fatalf("Build made %d transaction(s) for 6 operators under a %d budget", len(txs), budget)
	}
	var covered []common.Address
	for i, tx := range txs {
		t.Logf("tx %d: %s of %d operators, estimate %d", i, tx.Kind, len(tx.Operators), tx.GasEstimate)
		if tx.GasEstimate > budget {
			t.Fatalf("tx %d estimated at %d, over the %d budget", i, tx.GasEstimate, budget)
		}
		covered = append(covered, tx.Operators...)
	}
	if !slices.Equal(covered, all) {
		t.Fatalf("transactions cover %v, want %v", covered, all)
	}

	// The whole set in one transaction, for the per-operator figure.
	unsplit, err := submitter.New(submitter.Config{}, e.client, nil, e.sender, e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := unsplit.Build(ctx, plan)
	if err != nil || len(whole) != 1 {
		t.Fatalf("build under the default budget: %v, %v", whole, err)
	}
	t.Logf("updateOperators(%d operators): estimate %d", len(all), whole[0].GasEstimate)

	res, err := e.sub.Submit(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Txs) != len(txs) {
		t.Fatalf("Submit sent %d transactions, Build planned %d", len(res.Txs), len(txs))
	}
	for i, tr := range res.Txs {
		t.Logf("tx %d: gas used %d (estimate %d), block %d", i, tr.GasUsed, tr.Tx.GasEstimate, tr.Block)
	}
	for i, s := range e.stakes(t, ctx, all) {
		if s.Stored.Cmp(s.Weight) != 0 {
			t.Fatalf("operator %d after split update: stored %s weight %s", i, s.Stored, s.Weight)
		}
	}
	if got := metric(t, e.reg, "avssync_transactions_total", "kind", submitter.KindUpdateOperators, "status", "succeed"); int(got) != len(txs) {
		t.Fatalf("transactions_total = %v, want %d", got, len(txs))
	}
	if got := metric(t, e.reg, "avssync_gas_used_total"); uint64(got) != res.GasUsed() {
		t.Fatalf("gas_used_total = %v, want %d", got, res.GasUsed())
	}

	// Quorum refreshes: two quorums share a transaction while the budget allows, one quorum is
	// never split and goes alone, over the budget if it must.
	owner, err := e.d.Actor(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	q1, err := owner.CreateQuorum(ctx, big.NewInt(0))
	if err != nil {
		t.Fatal(err)
	}
	head, err := e.client.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := e.reader.QuorumOperators(ctx, []uint8{0, q1}, head)
	if err != nil {
		t.Fatal(err)
	}
	sweep := planner.Plan{Quorums: []planner.QuorumUpdate{{Quorum: 0, Operators: sets[0]}, {Quorum: q1, Operators: sets[q1]}}, Block: head, Reason: "sweep"}
	joint, err := unsplit.Build(ctx, sweep)
	if err != nil {
		t.Fatal(err)
	}
	if len(joint) != 1 || !slices.Equal(joint[0].Quorums, []uint8{0, q1}) {
		t.Fatalf("under the default budget: %d transactions %+v, want one for both quorums", len(joint), joint)
	}
	t.Logf("updateOperatorsForQuorum(quorum 0 with %d operators, quorum %d with %d): estimate %d", len(sets[0]), q1, len(sets[q1]), joint[0].GasEstimate)
	tight, err := submitter.New(submitter.Config{GasBudget: joint[0].GasEstimate - 1}, e.client, nil, e.sender, e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	apart, err := tight.Build(ctx, sweep)
	if err != nil {
		t.Fatal(err)
	}
	if len(apart) != 2 || !slices.Equal(apart[0].Quorums, []uint8{0}) || !slices.Equal(apart[1].Quorums, []uint8{q1}) {
		t.Fatalf("under a budget below the joint estimate: %+v", apart)
	}
	tiny, err := submitter.New(submitter.Config{GasBudget: 100_000}, e.client, nil, e.sender, e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := tiny.Build(ctx, sweep)
	if err != nil {
		t.Fatal(err)
	}
	if len(alone) != 2 || alone[0].GasEstimate <= 100_000 || len(alone[0].OperatorsPerQuorum[0]) != len(sets[0]) {
		t.Fatalf("under a budget below one quorum's estimate: %+v", alone)
	}
	res, err = e.sub.Submit(ctx, sweep)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Txs {
		t.Logf("sweep tx quorums %v (%d operators): gas used %d, estimate %d (budget %d)", tr.Tx.Quorums, len(tr.Tx.Operators), tr.GasUsed, tr.Tx.GasEstimate, budget)
	}
	qs, err := e.reader.Quorums(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.UpdateBlock <= head {
			t.Fatalf("quorum %d update block %d, want past %d", q.Number, q.UpdateBlock, head)
		}
	}
}

// stakeUpdates decodes the receipt's OperatorStakeUpdate logs into stakes by operator.
func stakeUpdates(t *testing.T, e *env, r *types.Receipt) map[common.Address]*big.Int {
	t.Helper()
	f, err := stakeregistry.NewContractStakeRegistryFilterer(e.c.StakeRegistry, e.client)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := regcoord.NewContractRegistryCoordinatorCaller(e.c.RegistryCoordinator, e.client)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[[32]byte]common.Address{}
	for _, a := range e.ops {
		id, err := rc.GetOperatorId(&bind.CallOpts{}, a.Address)
		if err != nil {
			t.Fatal(err)
		}
		byID[id] = a.Address
	}
	out := map[common.Address]*big.Int{}
	for _, l := range r.Logs {
		if ev, err := f.ParseOperatorStakeUpdate(*l); err == nil {
			out[byID[ev.OperatorId]] = ev.Stake
		}
	}
	return out
}

// metric reads a counter of reg by name and label pairs.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
