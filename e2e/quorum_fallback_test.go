package e2e

import (
	"encoding/json"
	"math/big"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// A batch holding a whole-quorum refresh that reverts (its gas estimate, injected between the
// binary and the node) and a stale operator of another quorum: the other operator's update still
// lands, and the refreshed quorum's stale members land too, by updateOperators, once the failed
// refresh comes back as its members. No part of the batch is dropped for the part that failed.
func TestFailedQuorumRefreshLosesNothing(t *testing.T) {
	// Keys 3-5 in quorum 0; keys 6 and 7 only in a second quorum.
	e := newEnv(t, 3, 2)
	q, err := e.owner.CreateQuorum(e.ctx, new(big.Int))
	if err != nil {
		t.Fatal(err)
	}
	members, err := e.d.RegisterOperators(e.ctx, 6, 2, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		t.Cleanup(m.Close)
	}
	other := e.ops[0]
	// Stale before avs-sync starts: its start-up check resolves them as one batch. With
	// --full-quorum-ratio 0.4 the second quorum (2 of 2 stale) is refreshed whole and quorum 0
	// (1 of 3) is not.
	if err := devnet.DepositAll(e.ctx, append([]*devnet.Actor{other}, members...), eth(1)); err != nil {
		t.Fatal(err)
	}
	stale := func(op common.Address, quorum uint8) bool {
		stored, weight, err := e.d.Stakes(e.ctx, op, quorum)
		if err != nil {
			t.Fatal(err)
		}
		return stored.Cmp(weight) != 0
	}
	if !stale(other.Address, 0) || !stale(members[0].Address, q) || !stale(members[1].Address, q) {
		t.Fatal("the deposits left an operator fresh")
	}

	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	refresh := rcABI.Methods["updateOperatorsForQuorum"]
	p := e.newProxy()
	var refreshes atomic.Int64
	p.Inject(rpcproxy.Fault{
		Method: "eth_estimateGas",
		// updateOperatorsForQuorum naming the second quorum reverts; everything else goes through.
		Match: func(params json.RawMessage) bool {
			var args []json.RawMessage // the call, then the block
			var call struct {
				Data  hexutil.Bytes `json:"data"`
				Input hexutil.Bytes `json:"input"`
			}
			if json.Unmarshal(params, &args) != nil || len(args) == 0 || json.Unmarshal(args[0], &call) != nil {
				return false
			}
			data := call.Input
			if len(data) == 0 {
				data = call.Data
			}
			if len(data) < 4 || string(data[:4]) != string(refresh.ID) {
				return false
			}
			in, err := refresh.Inputs.Unpack(data[4:])
			if err != nil || !slices.Contains(in[1].([]byte), q) {
				return false
			}
			refreshes.Add(1)
			return true
		},
		Error: &rpcproxy.RPCError{Code: 3, Message: "execution reverted"},
	})

	const retries = 3
	before, from := e.sent(), e.head()
	w := e.watchBinary(p.HTTPURL(), p.WSURL(), "--debounce", debounce.String(), "--full-quorum-ratio", "0.4",
		"--retry-sync-n-times", strconv.Itoa(retries))
	e.waitFor("every stake stored", 60*time.Second, func() bool {
		return !stale(other.Address, 0) && !stale(members[0].Address, q) && !stale(members[1].Address, q)
	})
	if n := refreshes.Load(); n == 0 {
		t.Fatal("no refresh of the second quorum was estimated: the batch did not escalate it")
	}
	// The first batch held both: the refresh of the second quorum and the other operator.
	first := w.records("planned")
	if len(first) == 0 {
		t.Fatal("no planned line")
	}
	if qs, _ := first[0]["quorums"].([]any); len(qs) != 1 || qs[0] != float64(q) || first[0]["stale"] != float64(1) {
		t.Fatalf("first batch planned %v, want quorum %d refreshed whole and 1 stale operator outside it", first[0], q)
	}
	if ups := e.quorumUpdates(q, from); len(ups) != 0 {
		t.Fatalf("quorum %d refreshed at %v, yet every estimate of its refresh reverts", q, ups)
	}
	// Exactly two transactions: updateOperators of the other operator, then of the members.
	sorted := []common.Address{members[0].Address, members[1].Address}
	slices.SortFunc(sorted, common.Address.Cmp)
	want := [][]common.Address{{other.Address}, sorted}
	e.waitBlocks(uint64(debounce/blockTime) + 10)
	if sent := e.sent() - before; sent != uint64(len(want)) {
		t.Fatalf("%d transactions, want %d (updateOperators of the other operator, then of the members)", sent, len(want))
	}
	var gas uint64
	for i, ops := range want {
		r := e.receiptOfNonce(before + uint64(i))
		tx, _, err := e.eth.TransactionByHash(e.ctx, r.TxHash)
		if err != nil {
			t.Fatal(err)
		}
		m, err := rcABI.MethodById(tx.Data()[:4])
		if err != nil || m.Name != "updateOperators" {
			t.Fatalf("transaction %d calls %v, want updateOperators", i, m)
		}
		args, err := m.Inputs.Unpack(tx.Data()[4:])
		if err != nil {
			t.Fatal(err)
		}
		if got := args[0].([]common.Address); !slices.Equal(got, ops) {
			t.Fatalf("transaction %d: updateOperators(%v), want %v", i, got, ops)
		}
		gas += r.GasUsed
		t.Logf("transaction %d: updateOperators of %d operator(s) in block %d, %d gas", i, len(ops), r.BlockNumber, r.GasUsed)
	}
	// The refresh itself is retried, after a backoff, --retry-sync-n-times times in all, then set
	// aside: never retried in a loop.
	const setAside = "updates set aside after failing --retry-sync-n-times times; they wait for the next sweep"
	e.waitFor("the failing refresh set aside", 60*time.Second, func() bool { return w.has(setAside) })
	e.waitBlocks(30)
	if n := refreshes.Load(); n > retries {
		t.Fatalf("the refresh of quorum %d was estimated %d times, want at most %d (--retry-sync-n-times)", q, n, retries)
	}
	if n := w.count(setAside); n != 1 {
		t.Fatalf("%d set-aside lines, want 1", n)
	}
	if sent := e.sent() - before; sent != uint64(len(want)) {
		t.Fatalf("%d transactions after the refresh was set aside, want still %d", sent, len(want))
	}
	t.Logf("refresh of quorum %d estimated %d times, reverting each time, then set aside; every stale stake stored in %d transactions (%d gas) over %d batches, no refresh landed",
		q, refreshes.Load(), len(want), gas, len(w.records("planned")))
}

// records returns the log records whose msg is msg, in order, decoded.
func (w *watchProc) records(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range w.logs() {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}
