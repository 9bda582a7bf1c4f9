package e2e

import (
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/avs-sync/avs-sync/bindings/ecdsastakeregistry"
	"github.com/avs-sync/avs-sync/internal/devnet"
)

// ecdsaEnv is an env on the ECDSA devnet with the registry bound.
type ecdsaEnv struct {
	*env
	reg *ecdsastakeregistry.ECDSAStakeRegistry
	pop *devnet.Populated
}

func newECDSAEnv(t *testing.T) *ecdsaEnv {
	t.Helper()
	e := newEnvWith(t, devnet.Options{Profile: devnet.ProfileECDSA, BlockTime: blockTime}, 0)
	reg, err := ecdsastakeregistry.NewECDSAStakeRegistry(e.d.Shape.ECDSAStakeRegistry, e.eth)
	if err != nil {
		t.Fatal(err)
	}
	pop, err := e.d.Actors(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pop.Close)
	ee := &ecdsaEnv{env: e, reg: reg, pop: pop}
	e.freshOf = func(op common.Address) bool { return ee.freshAt(op, 0) }
	e.watchBase = func(httpURL string) []string {
		return []string{"watch", "--eth-http-url", httpURL,
			"--ecdsa-stake-registry-addr", e.d.Shape.ECDSAStakeRegistry.Hex(),
			"--delegation-manager-addr", e.d.Addresses.DelegationManager.Hex()}
	}
	return ee
}

// watch runs `avs-sync watch` on the ECDSA registry through the binary.
func (e *ecdsaEnv) watch(name string, extra ...string) *proc {
	e.t.Helper()
	args := []string{"--eth-ws-url", e.d.WSURL, "--debounce", debounce.String(), "--poll-interval", blockTime.String()}
	p := e.startWatch(name, e.d.HTTPURL, "", append(args, extra...)...)
	e.waitUp(p)
	return p
}

// freshAt reports whether op's stored weight equals what an update would store, at block (0 = latest).
func (e *ecdsaEnv) freshAt(op common.Address, block uint64) bool {
	e.t.Helper()
	call := &bind.CallOpts{Context: e.ctx}
	if block > 0 {
		call.BlockNumber = new(big.Int).SetUint64(block)
	}
	stored, err := e.reg.GetLastCheckpointOperatorWeight(call, op)
	if err != nil {
		e.t.Fatal(err)
	}
	weight := new(big.Int)
	if ok, err := e.reg.OperatorRegistered(call, op); err != nil {
		e.t.Fatal(err)
	} else if ok {
		if weight, err = e.reg.GetOperatorWeight(call, op); err != nil {
			e.t.Fatal(err)
		}
	}
	return stored.Cmp(weight) == 0
}

// weightUpdates returns the blocks with an OperatorWeightUpdated for op from block from on.
func (e *ecdsaEnv) weightUpdates(op common.Address, from uint64) []uint64 {
	a, _ := ecdsastakeregistry.ECDSAStakeRegistryMetaData.GetAbi()
	return e.logBlocks(e.d.Shape.ECDSAStakeRegistry, from, a.Events["OperatorWeightUpdated"].ID, common.BytesToHash(op[:]))
}

// heaviest is the registered operator (past the first seven, which the test moves otherwise)
// with the largest stored weight.
func (e *ecdsaEnv) heaviest() *devnet.Actor {
	e.t.Helper()
	var best *devnet.Actor
	bestW := new(big.Int)
	for _, m := range e.pop.Registered[7:] {
		w, err := e.reg.GetLastCheckpointOperatorWeight(&bind.CallOpts{Context: e.ctx}, m.Address)
		if err != nil {
			e.t.Fatal(err)
		}
		if w.Cmp(bestW) > 0 {
			best, bestW = m.Actor, w
		}
	}
	return best
}

func actors(ms []devnet.Member) []*devnet.Actor {
	out := make([]*devnet.Actor, len(ms))
	for i, m := range ms {
		out[i] = m.Actor
	}
	return out
}

// sentTxs returns the sender's transactions mined from block from on.
func (e *ecdsaEnv) sentTxs(from uint64) []*types.Transaction {
	e.t.Helper()
	var out []*types.Transaction
	signer := types.LatestSignerForChainID(big.NewInt(devnet.ChainID))
	for b := from; b <= e.head(); b++ {
		blk, err := e.eth.BlockByNumber(e.ctx, new(big.Int).SetUint64(b))
		if err != nil {
			e.t.Fatal(err)
		}
		for _, tx := range blk.Transactions() {
			if s, err := types.Sender(signer, tx); err == nil && s == e.sender {
				out = append(out, tx)
			}
		}
	}
	return out
}

// TestECDSAWatch runs the binary on the ECDSA devnet through the life of an ECDSA AVS: a
// deposit to a registered operator stored within debounce + 3 blocks; deposits to an operator
// outside the AVS send nothing; a registration and a deregistration followed; dust held back
// under --min-stake-change; a change of multipliers sending updateOperators for the stale
// operators only; a restart from the checkpoint that loses the deposits made while stopped.
func TestECDSAWatch(t *testing.T) {
	e := newECDSAEnv(t)
	dir := t.TempDir()
	p := e.watch("watch", "--state-dir", dir, "--min-stake-change", "0.001")
	debounceBlocks := uint64(debounce / blockTime)

	t.Run("deposit stored within debounce + 3 blocks", func(t *testing.T) {
		op := e.pop.Registered[0].Actor
		r, err := op.Stake(e.ctx, e.d.Shape.Strategies[0], eth(5))
		if err != nil {
			t.Fatal(err)
		}
		if e.freshAt(op.Address, receiptBlock(r)) {
			t.Fatal("the deposit left the stored weight equal to the weight")
		}
		e.waitFor("stored weight = weight", 30*time.Second, func() bool { return len(e.weightUpdates(op.Address, receiptBlock(r))) > 0 })
		lag := e.weightUpdates(op.Address, receiptBlock(r))[0] - receiptBlock(r)
		t.Logf("deposit in block %d, weight stored %d blocks later (debounce %d blocks)", receiptBlock(r), lag, debounceBlocks)
		if lag > debounceBlocks+3 {
			t.Fatalf("stored %d blocks after the deposit, want <= debounce (%d) + 3", lag, debounceBlocks)
		}
	})

	t.Run("outsider's deposits send nothing", func(t *testing.T) {
		out := e.pop.Outsiders[0]
		before := e.sent()
		for range 2 {
			if _, err := out.Stake(e.ctx, e.d.Shape.Strategies[0], eth(3)); err != nil {
				t.Fatal(err)
			}
		}
		e.waitBlocks(debounceBlocks + 8)
		if n := e.sent() - before; n != 0 {
			t.Fatalf("%d transactions for an operator outside the AVS", n)
		}
	})

	t.Run("registration and deregistration followed", func(t *testing.T) {
		joiner, leaver := e.pop.Outsiders[1], e.pop.Registered[1].Actor
		if _, err := joiner.RegisterWithECDSA(e.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := leaver.DeregisterFromECDSA(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.waitBlocks(2)
		before := e.sent()
		rj, err := joiner.Stake(e.ctx, e.d.Shape.Strategies[0], eth(4))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leaver.Stake(e.ctx, e.d.Shape.Strategies[0], eth(4)); err != nil {
			t.Fatal(err)
		}
		e.waitFor("the new operator's weight stored", 30*time.Second, func() bool { return len(e.weightUpdates(joiner.Address, receiptBlock(rj))) > 0 })
		e.waitBlocks(debounceBlocks + 5)
		if ups := e.weightUpdates(leaver.Address, receiptBlock(rj)); len(ups) != 0 {
			t.Fatalf("the deregistered operator's weight was written at blocks %v", ups)
		}
		if n := e.sent() - before; n != 1 {
			t.Fatalf("%d transactions; want 1 (the new operator's update)", n)
		}
	})

	t.Run("dust held back", func(t *testing.T) {
		op := e.heaviest()
		before := e.sent()
		r, err := op.Stake(e.ctx, e.d.Shape.Strategies[0], big.NewInt(1e9))
		if err != nil {
			t.Fatal(err)
		}
		if e.freshAt(op.Address, receiptBlock(r)) {
			t.Fatal("the dust deposit changed no weight: the test would pass vacuously")
		}
		e.waitBlocks(debounceBlocks + 8)
		if n := e.sent() - before; n != 0 {
			t.Fatalf("%d transactions for a change below --min-stake-change", n)
		}
	})

	t.Run("multiplier change sends the stale operators only", func(t *testing.T) {
		q := e.d.Shape.Quorums[0]
		// Swap the first two strategies' multipliers: operators holding neither keep their weight.
		bps := []uint64{q.Multipliers[1].Uint64(), q.Multipliers[0].Uint64(), q.Multipliers[2].Uint64(), q.Multipliers[3].Uint64()}
		r, err := e.owner.SetECDSAQuorum(e.ctx, q.Strategies, bps)
		if err != nil {
			t.Fatal(err)
		}
		changed := receiptBlock(r)
		var stale []common.Address
		var members []common.Address
		// Every registered operator: the first, all but the one that left, and the one that joined.
		for _, m := range append([]*devnet.Actor{e.pop.Registered[0].Actor, e.pop.Outsiders[1]}, actors(e.pop.Registered[2:])...) {
			members = append(members, m.Address)
			if !e.freshAt(m.Address, changed) {
				stale = append(stale, m.Address)
			}
		}
		if len(stale) == 0 || len(stale) == len(members) {
			t.Fatalf("%d of %d operators stale after the change; the test needs some of each", len(stale), len(members))
		}
		e.waitFor("every operator fresh", 60*time.Second, func() bool {
			return !slices.ContainsFunc(members, func(op common.Address) bool { return !e.freshAt(op, 0) })
		})
		a, _ := ecdsastakeregistry.ECDSAStakeRegistryMetaData.GetAbi()
		sentOps := 0
		for _, tx := range e.sentTxs(changed) {
			m, err := a.MethodById(tx.Data())
			if err != nil {
				t.Fatal(err)
			}
			args, err := m.Inputs.Unpack(tx.Data()[4:])
			if err != nil {
				t.Fatal(err)
			}
			switch m.Name {
			case "updateOperators":
				for _, op := range args[0].([]common.Address) {
					sentOps++
					if !slices.Contains(stale, op) {
						t.Errorf("updateOperators names %s, which the change left fresh", op)
					}
				}
			default:
				t.Errorf("sent %s after a change that left %d of %d operators stale", m.Name, len(stale), len(members))
			}
		}
		t.Logf("%d of %d operators stale after the change; %d sent in updateOperators", len(stale), len(members), sentOps)
	})

	t.Run("restart from the checkpoint", func(t *testing.T) {
		p.stop(t)
		ops := []*devnet.Actor{e.pop.Registered[5].Actor, e.pop.Registered[6].Actor}
		var from uint64
		for _, op := range ops {
			r, err := op.Stake(e.ctx, e.d.Shape.Strategies[1], eth(6))
			if err != nil {
				t.Fatal(err)
			}
			if from == 0 {
				from = receiptBlock(r)
			}
		}
		p2 := e.watch("watch-again", "--state-dir", dir, "--min-stake-change", "0.001")
		e.waitFor("both fresh after the restart", 60*time.Second, func() bool {
			return e.freshAt(ops[0].Address, 0) && e.freshAt(ops[1].Address, 0)
		})
		// The start-up check alone would make them fresh: the watcher must also have read the
		// stopped time's share events from its checkpoint.
		e.waitFor("the deposits made while stopped read", 20*time.Second, func() bool {
			n, _ := p2.metric(`avssync_events_total{kind="shares_changed"}`)
			return n >= 2
		})
		if !p2.logged("resuming from checkpoint") {
			t.Errorf("the restarted watch logged no checkpoint:\n%s", p2.log())
		}
	})
}

// TestChaosECDSA runs the chaos table's rows that are not about the RegistryCoordinator on the
// ECDSA devnet: the log range cap across a restart, and 5xx bursts.
func TestChaosECDSA(t *testing.T) {
	e := newECDSAEnv(t)
	for _, m := range e.pop.Registered[:4] {
		e.ops = append(e.ops, m.Actor)
	}
	var rows []chaosRow
	for _, r := range chaosRows() {
		if strings.HasPrefix(r.name, "getLogs range cap") || r.name == "5xx bursts" {
			rows = append(rows, r)
		}
	}
	if len(rows) != 2 {
		t.Fatalf("%d chaos rows matched; want 2", len(rows))
	}
	runChaos(t, e.env, rows)
}

// status, plan, sweep and the bare command through the binary on the ECDSA devnet: two deposits
// are two stale operators in status and in plan's updateOperators; sweep stores them; the bare
// command with --sync-interval 0 then does what the cron it replaces does: one whole refresh.
func TestECDSAOneShotCommands(t *testing.T) {
	e := newECDSAEnv(t)
	contracts := []string{"--eth-http-url", e.d.HTTPURL, "--ecdsa-stake-registry-addr", e.d.Shape.ECDSAStakeRegistry.Hex(),
		"--delegation-manager-addr", e.d.Addresses.DelegationManager.Hex()}
	movers := []*devnet.Actor{e.pop.Registered[0].Actor, e.pop.Registered[1].Actor}
	for _, op := range movers {
		if _, err := op.Stake(e.ctx, e.d.Shape.Strategies[0], eth(3)); err != nil {
			t.Fatal(err)
		}
	}
	r := e.runCLI(append([]string{"status", "--json"}, contracts...)...)
	if r.code != 0 {
		t.Fatalf("status exit %d:\n%s", r.code, r.stderr)
	}
	var st struct {
		Quorums []struct {
			Operators int      `json:"operators"`
			Stale     []string `json:"stale"`
		} `json:"quorums"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status output is not JSON: %v\n%s", err, r.stdout)
	}
	if len(st.Quorums) != 1 || st.Quorums[0].Operators != len(e.d.Shape.Registered) || len(st.Quorums[0].Stale) != 2 {
		t.Fatalf("status %+v; want one quorum, %d operators, 2 stale", st.Quorums, len(e.d.Shape.Registered))
	}
	plan := e.runCLI(append([]string{"plan"}, contracts...)...)
	if plan.code != 0 || !strings.Contains(plan.stdout, "updateOperators  2") {
		t.Fatalf("plan exit %d, want updateOperators of 2:\n%s\n%s", plan.code, plan.stdout, plan.stderr)
	}
	before := e.sent()
	sweep := e.runCLI(append([]string{"sweep", "--ecdsa-private-key", e.senderKey}, contracts...)...)
	if sweep.code != 0 {
		t.Fatalf("sweep exit %d:\n%s", sweep.code, sweep.stderr)
	}
	for _, op := range movers {
		if !e.freshAt(op.Address, 0) {
			t.Errorf("%s stale after sweep", op.Address)
		}
	}
	if n := e.sent() - before; n != 1 {
		t.Errorf("sweep sent %d transactions; want 1", n)
	}
	from := e.head() + 1
	bare := e.runCLI(append([]string{"--sync-interval", "0", "--ecdsa-private-key", e.senderKey}, contracts...)...)
	if bare.code != 0 {
		t.Fatalf("bare command exit %d:\n%s", bare.code, bare.stderr)
	}
	a, _ := ecdsastakeregistry.ECDSAStakeRegistryMetaData.GetAbi()
	txs := e.sentTxs(from)
	if len(txs) != 1 {
		t.Fatalf("the bare command sent %d transactions; want 1", len(txs))
	}
	if m, err := a.MethodById(txs[0].Data()); err != nil || m.Name != "updateOperatorsForQuorum" {
		t.Errorf("the bare command sent %v (%v); want updateOperatorsForQuorum", m, err)
	}
}
